// Table types for kysely. pg returns bigint columns as strings; they are read with exactAmount().
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { Scope } from '../domain/api-key.ts';
import type { Platform } from '../domain/click-origin.ts';
import type { SightingKind } from '../domain/fraud/evidence.ts';
import type { AccountKind, TransferPhase } from '../domain/ledger.ts';
import type { ReferralStatus } from '../domain/referral.ts';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type BigIntColumn = ColumnType<string, number | bigint | string | undefined, number | bigint | string>;

export interface ProgramsTable {
  id: string;
  version: number;
  config: ColumnType<unknown, string, string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ParticipantsTable {
  id: string;
  program_id: string;
  external_id: string;
  email: string;
  name: string | null;
  stripe_customer_id: string | null;
  stripe_account_id: string | null;
  code: string;
  referred_by: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ClicksTable {
  id: string;
  program_id: string;
  participant_id: string;
  ip: string | null;
  user_agent: string | null;
  landing_url: string | null;
  network: string | null;
  platform: Platform | null;
  claimed_at: ColumnType<Date | null, never, Date | string>;
  created_at: CreatedAt;
}

export interface ReferralsTable {
  id: string;
  program_id: string;
  referrer_id: string;
  status: ReferralStatus;
  revision: number;
  view: ColumnType<unknown, string, string>;
  created_at: ColumnType<Date, Date | string, never>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  key_hash: string;
  scopes: Scope[];
  created_at: CreatedAt;
  revoked_at: ColumnType<Date | null, never, Date | string>;
}

export interface LedgerAccountsTable {
  id: string;
  program_id: string;
  owner: string;
  kind: AccountKind;
  currency: string;
  normal_balance: 'debit' | 'credit';
  debits_pending: BigIntColumn;
  debits_posted: BigIntColumn;
  credits_pending: BigIntColumn;
  credits_posted: BigIntColumn;
  created_at: CreatedAt;
}

export interface LedgerTransfersTable {
  id: string;
  seq: Generated<string>;
  idempotency_key: string;
  program_id: string;
  debit_account_id: string;
  credit_account_id: string;
  amount: ColumnType<string, number, never>;
  currency: string;
  phase: TransferPhase;
  pending_id: string | null;
  code: string;
  participant_id: string | null;
  referral_id: string | null;
  reward_id: string | null;
  created_at: CreatedAt;
}

export interface LateEventsTable {
  program_id: string;
  kind: 'conversion' | 'refund';
  event_id: string;
  referral_id: string;
  referral_status: ReferralStatus;
  payload: ColumnType<unknown, string, never>;
  received_at: CreatedAt;
}

export interface PayoutAttemptsTable {
  reward_id: string;
  customer_id: string;
  first_attempted_at: CreatedAt;
}

export interface RefereeCustomersTable {
  stripe_customer_id: string;
  program_id: string;
  referee_external_id: string;
  created_at: CreatedAt;
}

export interface StripeEventsTable {
  id: string;
  type: string;
  outcome: 'applied' | 'ignored' | 'unattributed' | 'waiting';
  reason: string | null;
  program_id: string | null;
  referral_id: string | null;
  payment_refs: ColumnType<string[], string[] | undefined, string[]>;
  refund: ColumnType<unknown, string | null | undefined, string | null>;
  received_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface StripePaymentsTable {
  payment_ref: string;
  program_id: string;
  referee_external_id: string;
  conversion_event_id: string;
  amount: BigIntColumn;
  created_at: CreatedAt;
}

export interface WebhookEndpointsTable {
  program_id: string;
  id: string;
  url: string;
  events: string[];
  secret: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface WebhookEventsTable {
  id: string;
  program_id: string;
  type: string;
  payload: ColumnType<unknown, string, never>;
  created_at: ColumnType<Date, Date | string, never>;
}

export interface WebhookDeliveriesTable {
  id: string;
  event_id: string;
  program_id: string;
  endpoint_id: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: ColumnType<number, number | undefined, number>;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  delivered_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: CreatedAt;
}

export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt: number;
  attempted_at: CreatedAt;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export interface FraudSightingsTable {
  id: Generated<string>;
  program_id: string;
  kind: SightingKind;
  event_key: string;
  subject: string;
  referrer_id: string | null;
  referrer_subject: string | null;
  ip: string | null;
  network: string | null;
  device: string | null;
  payment_fingerprint: string | null;
  declared_country: string | null;
  amount: ColumnType<string | null, number | null, never>;
  attributed_at: ColumnType<Date | null, Date | string | null, never>;
  at: ColumnType<Date, Date | string, never>;
}

export interface CrmContactsTable {
  id: Generated<string>;
  email: string;
  revision: ColumnType<number, number | undefined, number>;
  synced_revision: ColumnType<number, number | undefined, number>;
  hubspot_id: string | null;
  refused_reason: string | null;
  changed_at: UpdatedAt;
  synced_at: ColumnType<Date | null, never, Date | string>;
}

export interface CrmReferralsTable {
  referral_id: string;
  program_id: string;
  referrer_id: string;
  referee_email: string | null;
  status: string;
  code: string;
  updated_at: UpdatedAt;
}

export interface CrmNotesTable {
  note_key: string;
  contact_id: string;
  reward_id: string;
  event: 'issued' | 'reversed';
  body: string;
  occurred_at: ColumnType<Date, Date | string, never>;
  hubspot_id: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  refused_reason: string | null;
  created_at: CreatedAt;
}

export interface Database {
  programs: ProgramsTable;
  participants: ParticipantsTable;
  clicks: ClicksTable;
  referrals: ReferralsTable;
  api_keys: ApiKeysTable;
  ledger_accounts: LedgerAccountsTable;
  ledger_transfers: LedgerTransfersTable;
  late_events: LateEventsTable;
  payout_attempts: PayoutAttemptsTable;
  referee_customers: RefereeCustomersTable;
  stripe_events: StripeEventsTable;
  stripe_payments: StripePaymentsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  fraud_sightings: FraudSightingsTable;
  crm_contacts: CrmContactsTable;
  crm_referrals: CrmReferralsTable;
  crm_notes: CrmNotesTable;
}

// Row types are for the db/ modules alone, which hand camelCase domain objects to everything above.
export type ProgramRow = Selectable<ProgramsTable>;
export type ParticipantRow = Selectable<ParticipantsTable>;
export type ClickRow = Selectable<ClicksTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type LedgerAccountRow = Selectable<LedgerAccountsTable>;
export type LedgerTransferRow = Selectable<LedgerTransfersTable>;
export type LateEventRow = Selectable<LateEventsTable>;
export type FraudSightingRow = Selectable<FraudSightingsTable>;
