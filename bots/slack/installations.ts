import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import { FetchCache } from '../../lib/cache/index.js';
import { open, seal, slackInstallationContext } from '../../lib/crypto/index.js';
import type { Keyring } from '../../lib/crypto/index.js';
import type { Db } from '../../lib/db/index.js';
import { DynamiqError } from '../../lib/errors/index.js';

/** `SlackInstallation.secret`: the whole installation (bot token included), bound to its row. */

/** What the front end needs to act in a workspace. */
export interface WorkspaceAuth {
  botToken: string;
  /** The bot's user id (`U…`): its own messages are skipped, its mentions stripped. */
  botUserId: string | undefined;
  botId: string | undefined;
}

/** Thrown when an event comes from a workspace that has not installed the app. */
export class NotInstalledError extends DynamiqError {
  override name = 'NotInstalledError';
  constructor(teamId: string) {
    super('dynamiq.slack.not_installed', `Dynamiq is not installed in Slack workspace ${teamId}.`, {
      status: 401,
    });
  }
}

/**
 * Bolt's InstallationStore over the database: each installation is sealed with the master key
 * (AES-256-GCM, lib/crypto) and found by team (or enterprise, for org-wide installs). With
 * SLACK_BOT_TOKEN set, every workspace without an installation uses that token instead.
 */
export class SlackInstallations implements InstallationStore {
  private readonly cache = new FetchCache<Installation | null>({ ttlMs: 60_000 });

  constructor(
    private readonly db: Db,
    private readonly keyring: Keyring,
    private readonly single?: {
      botToken: string;
      teamId?: string;
      botUserId?: string;
      botId?: string;
    },
  ) {}

  async storeInstallation(installation: Installation): Promise<void> {
    const installKey = keyOf(
      installation.isEnterpriseInstall,
      installation.enterprise?.id,
      installation.team?.id,
    );
    const row = await this.db.slackInstallation.upsert({
      where: { installKey },
      update: {},
      create: {
        installKey,
        teamId: installation.team?.id ?? null,
        enterpriseId: installation.enterprise?.id ?? null,
        botUserId: installation.bot?.userId ?? null,
        secret: new Uint8Array(0),
        secretKeyId: this.keyring.current.id,
      },
      select: { id: true },
    });
    const sealed = seal(
      this.keyring,
      Buffer.from(JSON.stringify(installation)),
      slackInstallationContext(row.id),
    );
    await this.db.slackInstallation.update({
      where: { id: row.id },
      data: {
        secret: new Uint8Array(sealed),
        secretKeyId: this.keyring.current.id,
        botUserId: installation.bot?.userId ?? null,
      },
    });
    this.cache.delete(installKey);
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation> {
    const found = await this.find(query.isEnterpriseInstall, query.enterpriseId, query.teamId);
    if (!found) throw new NotInstalledError(query.teamId ?? query.enterpriseId ?? 'unknown');
    return found;
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    const installKey = keyOf(query.isEnterpriseInstall, query.enterpriseId, query.teamId);
    await this.db.slackInstallation.deleteMany({ where: { installKey } });
    this.cache.delete(installKey);
  }

  /** The bot token and ids for a workspace: its installation, else SLACK_BOT_TOKEN, else throws. */
  async auth(
    teamId: string,
    enterpriseId?: string,
    isEnterpriseInstall = false,
  ): Promise<WorkspaceAuth> {
    const installation = await this.find(isEnterpriseInstall, enterpriseId, teamId);
    if (installation?.bot) {
      return {
        botToken: installation.bot.token,
        botUserId: installation.bot.userId,
        botId: installation.bot.id,
      };
    }
    if (this.single && (!this.single.teamId || this.single.teamId === teamId)) {
      return {
        botToken: this.single.botToken,
        botUserId: this.single.botUserId,
        botId: this.single.botId,
      };
    }
    throw new NotInstalledError(teamId);
  }

  /** Learns the single-workspace bot's ids (auth.test at start-up). */
  setSingleIdentity(ids: { teamId?: string; botUserId?: string; botId?: string }): void {
    if (this.single) Object.assign(this.single, ids);
  }

  private async find(
    isEnterpriseInstall: boolean | undefined,
    enterpriseId: string | undefined,
    teamId: string | undefined,
  ): Promise<Installation | null> {
    const keys = [keyOf(isEnterpriseInstall, enterpriseId, teamId)];
    // An org-wide install serves every workspace of the org.
    if (!isEnterpriseInstall && enterpriseId) keys.push(`E:${enterpriseId}`);
    for (const key of keys) {
      const found = await this.cache.get(key, () => this.load(key));
      if (found) return found;
    }
    return null;
  }

  private async load(installKey: string): Promise<Installation | null> {
    const row = await this.db.slackInstallation.findUnique({ where: { installKey } });
    if (!row || row.secret.length === 0) return null;
    const plain = open(this.keyring, Buffer.from(row.secret), slackInstallationContext(row.id));
    return JSON.parse(plain.toString('utf8')) as Installation;
  }
}

function keyOf(
  isEnterpriseInstall: boolean | undefined,
  enterpriseId: string | undefined,
  teamId: string | undefined,
): string {
  if (isEnterpriseInstall && enterpriseId) return `E:${enterpriseId}`;
  if (!teamId)
    throw new DynamiqError(
      'dynamiq.slack.bad_installation',
      'A Slack installation names no team.',
      { status: 400 },
    );
  return `T:${teamId}`;
}
