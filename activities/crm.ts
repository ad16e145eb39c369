// Keeps HubSpot in step with referrals: the referee's contact carries the referral's status and the
// code that brought them; the referrer's contact carries their own code and link. Upserts by email,
// so a repeat is harmless. The contact properties must exist in the HubSpot account (see README).
import { Client } from '@hubspot/api-client';
import { failureTypes, nonRetryable } from '../domain/failures.ts';

export interface CrmContactUpdate {
  email: string;
  properties: Record<string, string>;
}

export interface Crm {
  upsertContacts(contacts: CrmContactUpdate[]): Promise<void>;
}

function statusOf(error: unknown): number | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : null;
}

export function hubSpotCrm(accessToken: string, basePath?: string): Crm {
  const client = new Client({ accessToken, numberOfApiCallRetries: 0, ...(basePath ? { basePath } : {}) });
  return {
    async upsertContacts(contacts) {
      try {
        await client.crm.contacts.batchApi.upsert({
          inputs: contacts.map(({ email, properties }) => ({ idProperty: 'email', id: email, properties })),
        });
      } catch (error) {
        const status = statusOf(error);
        // Other 4xx answers (a missing property, a bad token) will not change on retry: they need a person.
        if (status !== null && status >= 400 && status < 500 && status !== 429) {
          throw nonRetryable(failureTypes.hubSpotRejected, `HubSpot refused the contact upsert (HTTP ${status})`);
        }
        throw error;
      }
    },
  };
}
