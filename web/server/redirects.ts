import { z } from 'zod';

/**
 * Whether `value` names a page of this deployment: a path (`/integrations?done=1`) or an
 * absolute URL under PUBLIC_URL. Anything else would let a link to Dynamiq send the browser to
 * another site after a provider's page (an open redirect that borrows Dynamiq's name).
 */
export function isOwnUrl(value: string, publicUrl: string): boolean {
  return ownUrl(value, publicUrl) !== undefined;
}

/** `value` as an absolute URL under PUBLIC_URL, or undefined when it leaves it. */
export function ownUrl(value: string, publicUrl: string): string | undefined {
  const base = new URL(publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`);
  // `//host/path` and `/\host` are paths to a browser's eye only; both mean another host.
  if (value.startsWith('/') && /^\/[/\\]/.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value.startsWith('/') ? `.${value}` : value, base);
  } catch {
    return undefined;
  }
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return undefined;
  if (url.username || url.password) return undefined;
  return url.toString();
}

/** A zod field for a redirect target on this deployment (checked, not transformed). */
export const ownUrlField = (publicUrl: string) =>
  z
    .string()
    .max(2048)
    .refine((v) => isOwnUrl(v, publicUrl), {
      error: `must be a path or a URL under ${publicUrl}`,
    });
