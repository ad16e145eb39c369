// Creates what the CRM sync writes to in a HubSpot account: the engine's property group and custom
// properties on contacts and on notes. Idempotent: whatever exists is left as it is, so a second run
// changes nothing, and a property someone has edited in HubSpot keeps their edits.
import type { Client } from '@hubspot/api-client';
import { PropertyCreateFieldTypeEnum, PropertyCreateTypeEnum } from '@hubspot/api-client/lib/codegen/crm/properties/models/PropertyCreate.js';
import { type CrmPropertyDefinition, contactPropertyDefinitions, crmPropertyGroup, notePropertyDefinitions } from '../../domain/crm-contact.ts';
import { hubSpotCall } from './client.ts';

const definitions: Record<'contacts' | 'notes', readonly CrmPropertyDefinition[]> = {
  contacts: contactPropertyDefinitions,
  notes: notePropertyDefinitions,
};

export interface SetupReport {
  /** What was created, as "objectType.name" (groups as "objectType.group:name"). */
  created: string[];
  /** What was there already and was left alone. */
  existing: string[];
}

export async function setUpHubSpot(client: Client): Promise<SetupReport> {
  const report: SetupReport = { created: [], existing: [] };
  for (const [objectType, properties] of Object.entries(definitions)) {
    const groups = await hubSpotCall(`the ${objectType} property groups`, () => client.crm.properties.groupsApi.getAll(objectType));
    const group = `${objectType}.group:${crmPropertyGroup.name}`;
    if (groups.results.some((existing) => existing.name === crmPropertyGroup.name)) {
      report.existing.push(group);
    } else {
      await hubSpotCall(`creating ${group}`, () => client.crm.properties.groupsApi.create(objectType, { ...crmPropertyGroup }));
      report.created.push(group);
    }
    const present = await hubSpotCall(`the ${objectType} properties`, () => client.crm.properties.coreApi.getAll(objectType));
    const names = new Set(present.results.map((property) => property.name));
    for (const property of properties) {
      const name = `${objectType}.${property.name}`;
      if (names.has(property.name)) {
        report.existing.push(name);
        continue;
      }
      await hubSpotCall(`creating ${name}`, () =>
        client.crm.properties.coreApi.create(objectType, {
          name: property.name,
          label: property.label,
          description: property.description,
          groupName: crmPropertyGroup.name,
          type: property.type === 'number' ? PropertyCreateTypeEnum.Number : PropertyCreateTypeEnum.String,
          fieldType: property.fieldType === 'number' ? PropertyCreateFieldTypeEnum.Number : PropertyCreateFieldTypeEnum.Text,
        }),
      );
      report.created.push(name);
    }
  }
  return report;
}
