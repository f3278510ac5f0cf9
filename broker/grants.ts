import type { Db } from '../lib/db/index.js';

/** One GCP service account an administrator mapped to a user. */
export interface GcpServiceAccountGrantView {
  serviceAccount: string;
  /** The administrator who mapped it; null once that account is deleted. */
  createdBy: string | null;
  createdAt: string;
}

/**
 * The GCP service accounts each user may impersonate through the broker. Only administrators
 * change them (the routes check); the broker reads them at registration and at every issue.
 * Emails are compared lower-cased, as the schemas deliver them.
 */
export class GcpServiceAccountGrants {
  constructor(private readonly db: Db) {}

  async list(userId: string): Promise<GcpServiceAccountGrantView[]> {
    const rows = await this.db.gcpServiceAccountGrant.findMany({
      where: { userId },
      orderBy: { serviceAccount: 'asc' },
    });
    return rows.map((r) => ({
      serviceAccount: r.serviceAccount,
      createdBy: r.createdById,
      createdAt: r.createdAt.toISOString(),
    }));
  }

  async has(userId: string, serviceAccount: string): Promise<boolean> {
    const row = await this.db.gcpServiceAccountGrant.findUnique({
      where: { userId_serviceAccount: { userId, serviceAccount: serviceAccount.toLowerCase() } },
      select: { id: true },
    });
    return row !== null;
  }

  /** Maps the account to the user; mapping it again changes nothing. `created` says which. */
  async add(
    userId: string,
    serviceAccount: string,
    createdById: string,
  ): Promise<{ grant: GcpServiceAccountGrantView; created: boolean }> {
    const email = serviceAccount.toLowerCase();
    const { count } = await this.db.gcpServiceAccountGrant.createMany({
      data: [{ userId, serviceAccount: email, createdById }],
      skipDuplicates: true,
    });
    const row = await this.db.gcpServiceAccountGrant.findUniqueOrThrow({
      where: { userId_serviceAccount: { userId, serviceAccount: email } },
    });
    return {
      created: count > 0,
      grant: {
        serviceAccount: row.serviceAccount,
        createdBy: row.createdById,
        createdAt: row.createdAt.toISOString(),
      },
    };
  }

  /** False when the account was not mapped to the user. */
  async remove(userId: string, serviceAccount: string): Promise<boolean> {
    const { count } = await this.db.gcpServiceAccountGrant.deleteMany({
      where: { userId, serviceAccount: serviceAccount.toLowerCase() },
    });
    return count > 0;
  }
}
