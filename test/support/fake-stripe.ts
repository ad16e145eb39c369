// A stateful stand-in for the Stripe API, for the real stripe-node client to talk to: customers and
// customer balance transactions, Idempotency-Key replay as Stripe does it, and injected faults. It
// keeps every credit it was asked for, so a test can see a duplicate payout, and lets a test do what
// a person in the Stripe dashboard might: add a transaction, change its amount, make one disappear.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type Handler, listen, sendJson } from './http-server.ts';

export interface BalanceTransaction {
  id: string;
  object: 'customer_balance_transaction';
  amount: number;
  currency: string;
  customer: string;
  description: string | null;
  metadata: Record<string, string>;
  created: number;
  ending_balance: number;
  type: 'adjustment';
  livemode: false;
}

interface Customer {
  id: string;
  object: 'customer';
  balance: number;
  created: number;
  livemode: false;
}

interface StoredResponse {
  fingerprint: string;
  status: number;
  body: unknown;
}

type Fault =
  | { kind: 'error'; status: number; type: string; message: string }
  | { kind: 'hold'; processed: () => void; release: Promise<void>; failWith: number | null };

const id = (prefix: string) => `${prefix}_${randomBytes(9).toString('hex')}`;

/** Stripe's form encoding, including one level of brackets (metadata[reward_id]=…). */
function parseForm(body: string): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const nested = /^(\w+)\[(\w+)\]$/.exec(key);
    if (nested?.[1] && nested[2]) {
      result[nested[1]] ??= {};
      const parent = result[nested[1]] as Record<string, string>;
      parent[nested[2]] = value;
    } else {
      result[key] = value;
    }
  }
  return result;
}

const stripeError = (res: ServerResponse, status: number, type: string, message: string, extra: Record<string, string> = {}) =>
  sendJson(res, status, { error: { type, message, ...extra } });

export class FakeStripe {
  readonly customers = new Map<string, Customer>();
  readonly balanceTransactions: BalanceTransaction[] = [];
  readonly requests: { method: string; path: string; idempotencyKey: string | null }[] = [];
  private readonly idempotent = new Map<string, StoredResponse | 'in_flight'>();
  private readonly faults: Fault[] = [];
  private listingRefusal: { status: number; type: string; message: string } | null = null;
  private closeServer: (() => Promise<void>) | null = null;
  url = '';

  async start(): Promise<this> {
    const { url, close } = await listen(this.handle);
    this.url = url;
    this.closeServer = close;
    return this;
  }

  close(): Promise<void> {
    return this.closeServer?.() ?? Promise.resolve();
  }

  createCustomer(): string {
    const customer: Customer = { id: id('cus'), object: 'customer', balance: 0, created: Math.floor(Date.now() / 1000), livemode: false };
    this.customers.set(customer.id, customer);
    return customer.id;
  }

  creditsFor(customer: string): BalanceTransaction[] {
    return this.balanceTransactions.filter((t) => t.customer === customer);
  }

  /** A balance transaction made by a person in the Stripe dashboard, not through the engine. */
  addByHand(customerId: string, fields: Pick<BalanceTransaction, 'amount' | 'currency' | 'metadata'>): BalanceTransaction {
    const customer = this.customers.get(customerId);
    if (!customer) throw new Error(`no customer ${customerId}`);
    return this.record(customer, { ...fields, description: 'Added by hand' });
  }

  private record(customer: Customer, fields: Pick<BalanceTransaction, 'amount' | 'currency' | 'description' | 'metadata'>): BalanceTransaction {
    customer.balance += fields.amount;
    const transaction: BalanceTransaction = {
      id: id('cbtxn'),
      object: 'customer_balance_transaction',
      ...fields,
      customer: customer.id,
      created: Math.floor(Date.now() / 1000),
      ending_balance: customer.balance,
      type: 'adjustment',
      livemode: false,
    };
    this.balanceTransactions.push(transaction);
    return transaction;
  }

  /** Every balance transaction of every customer that carries this reward id in its metadata. */
  transactionsForReward(rewardId: string): BalanceTransaction[] {
    return this.balanceTransactions.filter((t) => t.metadata.reward_id === rewardId);
  }

  /** A transaction gone from Stripe, as if support had removed it: the customer's balance goes with it. */
  deleteBalanceTransaction(id: string): void {
    const index = this.balanceTransactions.findIndex((t) => t.id === id);
    const [removed] = index < 0 ? [] : this.balanceTransactions.splice(index, 1);
    if (!removed) throw new Error(`no balance transaction ${id}`);
    const customer = this.customers.get(removed.customer);
    if (customer) customer.balance -= removed.amount;
  }

  /** A transaction whose amount someone changed by hand. */
  editAmount(id: string, amount: number): void {
    const transaction = this.balanceTransactions.find((t) => t.id === id);
    if (!transaction) throw new Error(`no balance transaction ${id}`);
    const customer = this.customers.get(transaction.customer);
    if (customer) customer.balance += amount - transaction.amount;
    transaction.amount = amount;
  }

  /** Listings of balance transactions answer with this error until told otherwise (null). */
  refuseListings(error: { status: number; type: string; message: string } | null): void {
    this.listingRefusal = error;
  }

  /** The next balance transaction creations answer with this error instead. */
  failNextCreates(times: number, status: number, type: string, message: string): void {
    for (let i = 0; i < times; i++) this.faults.push({ kind: 'error', status, type, message });
  }

  /** Stripe keeps idempotency keys for 24 hours; this is the day after. */
  expireIdempotencyKeys(): void {
    this.idempotent.clear();
  }

  /**
   * The next balance transaction creation is carried out, then its answer is held back until
   * released: the moment a crashed caller would never hear that it succeeded. With `failWith`, the
   * answer (then and on every replay of its idempotency key) is that error status instead, as when
   * Stripe fails after committing.
   */
  holdNextCreate(options: { failWith?: number } = {}): { processed: Promise<void>; release(): void } {
    let processed!: () => void;
    let release!: () => void;
    const processedPromise = new Promise<void>((resolve) => (processed = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.faults.push({ kind: 'hold', processed, release: released, failWith: options.failWith ?? null });
    return { processed: processedPromise, release };
  }

  private readonly handle: Handler = async (req, body, res) => {
    const url = new URL(req.url ?? '/', 'http://stripe.invalid');
    const idempotencyKey = (req.headers['idempotency-key'] as string | undefined) ?? null;
    this.requests.push({ method: req.method ?? '', path: url.pathname, idempotencyKey });
    if (!/^Bearer sk_test_\w+$/.test(req.headers.authorization ?? '')) {
      return stripeError(res, 401, 'invalid_request_error', 'Invalid API Key provided');
    }
    const params = parseForm(body);

    if (req.method === 'POST' && url.pathname === '/v1/customers') {
      return sendJson(res, 200, this.customers.get(this.createCustomer()));
    }
    const customerPath = /^\/v1\/customers\/([^/]+)(\/balance_transactions)?$/.exec(url.pathname);
    const customer = customerPath?.[1] ? this.customers.get(customerPath[1]) : undefined;
    if (customerPath && !customer) {
      return stripeError(res, 404, 'invalid_request_error', `No such customer: '${customerPath[1]}'`, { code: 'resource_missing', param: 'id' });
    }
    if (!customer) return stripeError(res, 404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${url.pathname})`);

    if (req.method === 'GET' && !customerPath?.[2]) return sendJson(res, 200, customer);
    if (req.method === 'GET') return this.list(res, customer, url);
    if (req.method === 'POST' && customerPath?.[2]) return this.createBalanceTransaction(res, customer, params, idempotencyKey);
    return stripeError(res, 404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${url.pathname})`);
  };

  private list(res: ServerResponse, customer: Customer, url: URL): void {
    if (this.listingRefusal) {
      stripeError(res, this.listingRefusal.status, this.listingRefusal.type, this.listingRefusal.message);
      return;
    }
    const limit = Number(url.searchParams.get('limit') ?? 10);
    const all = this.creditsFor(customer.id).slice().reverse();
    const after = url.searchParams.get('starting_after');
    const start = after ? all.findIndex((t) => t.id === after) + 1 : 0;
    const data = all.slice(start, start + limit);
    sendJson(res, 200, { object: 'list', data, has_more: start + limit < all.length, url: `/v1/customers/${customer.id}/balance_transactions` });
  }

  private async createBalanceTransaction(res: ServerResponse, customer: Customer, params: Record<string, unknown>, key: string | null): Promise<void> {
    const fingerprint = JSON.stringify(params);
    if (key) {
      const previous = this.idempotent.get(key);
      if (previous === 'in_flight') {
        return stripeError(res, 409, 'invalid_request_error', 'There is currently another in-progress request using this Idempotent Key', {
          code: 'idempotency_key_in_use',
        });
      }
      if (previous && previous.fingerprint !== fingerprint) {
        return stripeError(res, 400, 'idempotency_error', 'Keys for idempotent requests can only be used with the same parameters they were first used with.');
      }
      if (previous) return sendJson(res, previous.status, previous.body, { 'idempotent-replayed': 'true' });
    }
    const fault = this.faults.shift();
    if (fault?.kind === 'error') return stripeError(res, fault.status, fault.type, fault.message);
    const amount = Number(params.amount);
    if (!Number.isInteger(amount) || amount === 0 || typeof params.currency !== 'string') {
      return stripeError(res, 400, 'invalid_request_error', 'amount must be a non-zero integer and currency is required', { param: 'amount' });
    }
    if (key) this.idempotent.set(key, 'in_flight');
    const transaction = this.record(customer, {
      amount,
      currency: params.currency,
      description: typeof params.description === 'string' ? params.description : null,
      metadata: (params.metadata as Record<string, string> | undefined) ?? {},
    });
    const answer =
      fault?.kind === 'hold' && fault.failWith
        ? { status: fault.failWith, body: { error: { type: 'api_error', message: 'An unknown error occurred' } } }
        : { status: 200, body: transaction };
    if (key) this.idempotent.set(key, { fingerprint, ...answer });
    if (fault?.kind === 'hold') {
      fault.processed();
      await fault.release;
    }
    if (!res.destroyed) sendJson(res, answer.status, answer.body);
  }
}
