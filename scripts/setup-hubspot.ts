// `npm run setup:hubspot`: creates the contact and note properties the CRM sync writes to, in the
// HubSpot account of HUBSPOT_ACCESS_TOKEN (HUBSPOT_API_BASE to point elsewhere). Safe to run again:
// what exists is left alone, so a second run changes nothing.
import { hubSpotClient } from '../activities/hubspot/client.ts';
import { setUpHubSpot } from '../activities/hubspot/setup.ts';
import { invalidConfiguration, loadConfig } from '../runtime/config.ts';

const config = loadConfig();
if (!config.HUBSPOT_ACCESS_TOKEN) {
  throw invalidConfiguration([{ variable: 'HUBSPOT_ACCESS_TOKEN', message: 'unset; give the access token of your HubSpot private app (see README)' }]);
}
const report = await setUpHubSpot(hubSpotClient(config.HUBSPOT_ACCESS_TOKEN, config.HUBSPOT_API_BASE));
for (const name of report.created) console.log(`created  ${name}`);
for (const name of report.existing) console.log(`exists   ${name}`);
console.log(report.created.length === 0 ? 'HubSpot was already set up; nothing changed.' : `HubSpot is set up: ${report.created.length} created.`);
