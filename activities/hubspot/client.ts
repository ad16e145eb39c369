// The HubSpot calls the CRM sync makes, through the real @hubspot/api-client, each one request (so the
// CRM task queue's activity rate bounds the request rate). A 429 becomes a retryable failure that waits
// as long as HubSpot asked; any other 4xx is a refusal no retry can change; the rest is retried.
import { AssociationTypes, Client } from '@hubspot/api-client';
import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/objects/notes/models/AssociationSpec.js';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/objects/notes/models/Filter.js';
import { failureTypes, retryableAfter } from '../../domain/failures.ts';

export interface ContactUpsert {
  email: string;
  properties: Record<string, string>;
}

export interface NoteToCreate {
  key: string;
  contactId: string;
  body: string;
  /** When it happened (ISO 8601): where the note sits on the contact's timeline. */
  occurredAt: string;
}

export interface HubSpot {
  /** Upserts contacts by email in one batch; answers HubSpot's id for each email it took (lowercase). */
  upsertContacts(contacts: ContactUpsert[]): Promise<Map<string, string>>;
  /** The notes already in HubSpot among these keys, by key. */
  findNotes(keys: string[]): Promise<Map<string, string>>;
  /** Creates notes on their contacts in one batch; answers HubSpot's id for each, by key. */
  createNotes(notes: NoteToCreate[]): Promise<Map<string, string>>;
}

/** HubSpot said no, for a reason no retry changes (a bad value, a missing property, a bad token). */
export class HubSpotRefusal extends Error {
  override name = 'HubSpotRefusal';
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** When a 429 names no wait: HubSpot's limits are per ten seconds. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 10_000;

interface HttpError {
  code: number;
  headers?: Record<string, string>;
  body?: unknown;
}

function httpError(error: unknown): HttpError | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? (error as HttpError) : null;
}

/** Retry-After in seconds or as an HTTP date, in milliseconds; at least a second. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number {
  if (!header) return DEFAULT_RATE_LIMIT_WAIT_MS;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) ? Math.max(1_000, Math.ceil(ms)) : DEFAULT_RATE_LIMIT_WAIT_MS;
}

function messageOf(body: unknown): string {
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : typeof body === 'string' ? body : JSON.stringify(body ?? null);
}

/** Runs one HubSpot request, naming what it was in any failure. */
export async function hubSpotCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const http = httpError(error);
    if (http?.code === 429) {
      const waitMs = retryAfterMs(http.headers?.['retry-after']);
      throw retryableAfter(failureTypes.hubSpotRateLimited, `HubSpot rate limit on ${what}; trying again in ${waitMs} ms`, waitMs);
    }
    if (http && http.code >= 400 && http.code < 500)
      throw new HubSpotRefusal(http.code, `HubSpot refused ${what} (HTTP ${http.code}): ${messageOf(http.body)}`);
    throw error;
  }
}

export function hubSpotClient(accessToken: string, basePath?: string): Client {
  // HubSpot's own retries stay off: Temporal retries, and at HubSpot's pace.
  return new Client({ accessToken, numberOfApiCallRetries: 0, ...(basePath ? { basePath } : {}) });
}

export function hubSpot(client: Client): HubSpot {
  return {
    async upsertContacts(contacts) {
      const answer = await hubSpotCall('the contact upsert', () =>
        client.crm.contacts.batchApi.upsert({
          inputs: contacts.map(({ email, properties }) => ({ idProperty: 'email', id: email, properties })),
        }),
      );
      return new Map(answer.results.flatMap((contact) => (contact.properties.email ? [[contact.properties.email.toLowerCase(), contact.id]] : [])));
    },

    async findNotes(keys) {
      const answer = await hubSpotCall('the note search', () =>
        client.crm.objects.notes.searchApi.doSearch({
          filterGroups: [{ filters: [{ propertyName: 'referral_note_key', operator: FilterOperatorEnum.In, values: keys }] }],
          properties: ['referral_note_key'],
          limit: 100,
        }),
      );
      return new Map(answer.results.flatMap((note) => (note.properties.referral_note_key ? [[note.properties.referral_note_key, note.id]] : [])));
    },

    async createNotes(notes) {
      const answer = await hubSpotCall('the note creation', () =>
        client.crm.objects.notes.batchApi.create({
          inputs: notes.map((note) => ({
            properties: { hs_note_body: note.body, hs_timestamp: note.occurredAt, referral_note_key: note.key },
            associations: [
              {
                to: { id: note.contactId },
                types: [{ associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined, associationTypeId: AssociationTypes.noteToContact }],
              },
            ],
          })),
        }),
      );
      return new Map(answer.results.flatMap((note) => (note.properties.referral_note_key ? [[note.properties.referral_note_key, note.id]] : [])));
    },
  };
}
