// `npm run teams:package`: the Teams app package (manifest.json with this bot's Microsoft App
// ID, color.png, outline.png) as dist/teams-app.zip, ready to upload in Teams or the
// Developer Portal. `-- --icons` redraws the two icons first.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { colorIcon, outlineIcon } from './icons.js';
import { zipFiles } from './zip.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

if (process.argv.includes('--icons')) {
  await fs.writeFile(path.join(here, 'color.png'), colorIcon());
  await fs.writeFile(path.join(here, 'outline.png'), outlineIcon());
}

const appId = process.env.MICROSOFT_APP_ID ?? '';
if (!GUID.test(appId)) {
  console.error(
    'Set MICROSOFT_APP_ID to the Azure Bot\u2019s Microsoft App ID (a GUID) to build the Teams app package.',
  );
  process.exit(1);
}
const manifest = JSON.parse(await fs.readFile(path.join(here, 'manifest.json'), 'utf8')) as {
  id: string;
  bots: Array<{ botId: string }>;
  developer: Record<string, string>;
  validDomains: string[];
};
manifest.id = appId;
for (const bot of manifest.bots) bot.botId = appId;
const publicUrl = process.env.PUBLIC_URL;
if (publicUrl?.startsWith('https://')) {
  const site = publicUrl.replace(/\/$/, '');
  manifest.developer.websiteUrl = site;
  manifest.developer.privacyUrl = site;
  manifest.developer.termsOfUseUrl = site;
  manifest.validDomains = [new URL(site).host];
}
const out = path.resolve(here, '../../../dist/teams-app.zip');
await fs.mkdir(path.dirname(out), { recursive: true });
await fs.writeFile(
  out,
  zipFiles([
    { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest, null, 2)) },
    { name: 'color.png', data: await fs.readFile(path.join(here, 'color.png')) },
    { name: 'outline.png', data: await fs.readFile(path.join(here, 'outline.png')) },
  ]),
);
console.log(`Wrote ${path.relative(process.cwd(), out)} for Microsoft App ID ${appId}.`);
