// A stateful stand-in for the Stripe API, for the real stripe-node client to talk to: customers and
// their balance transactions, coupons and promotion codes, connected accounts with transfers and
// transfer reversals; Idempotency-Key replay as Stripe does it, and injected faults. It keeps every
// object it was asked to create, so a test can count them and see a duplicate payout, and lets a test
// do what a person in the Stripe dashboard might: add a transaction, change its amount, make one
// disappear, or refuse the listings reconciliation reads.
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

export interface Coupon {
  id: string;
  object: 'coupon';
  percent_off: number | null;
  amount_off: number | null;
  currency: string | null;
  duration: string;
  duration_in_months: number | null;
  name: string | null;
  metadata: Record<string, string>;
  valid: boolean;
  created: number;
  livemode: false;
}

export interface PromotionCode {
  id: string;
  object: 'promotion_code';
  code: string;
  active: boolean;
  customer: string | null;
  max_redemptions: number | null;
  times_redeemed: number;
  promotion: { type: 'coupon'; coupon: string };
  restrictions: { first_time_transaction: boolean };
  metadata: Record<string, string>;
  created: number;
  livemode: false;
}

export interface TransferReversal {
  id: string;
  object: 'transfer_reversal';
  amount: number;
  currency: string;
  transfer: string;
  metadata: Record<string, string>;
  created: number;
}

export interface Transfer {
  id: string;
  object: 'transfer';
  amount: number;
  amount_reversed: number;
  currency: string;
  destination: string;
  transfer_group: string | null;
  description: string | null;
  metadata: Record<string, string>;
  reversed: boolean;
  reversals: { object: 'list'; data: TransferReversal[]; has_more: false; url: string };
  created: number;
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
  | { kind: 'drop' }
  | { kind: 'hold'; processed: () => void; release: Promise<void>; failWith: number | null };

type Created = { status: number; body: unknown };
type Params = Record<string, unknown>;

const id = (prefix: string) => `${prefix}_${randomBytes(9).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const metadataOf = (params: Params) => (params.metadata as Record<string, string> | undefined) ?? {};

/** Stripe's form encoding, with nested brackets (metadata[reward_id]=…, promotion[coupon]=…). */
function parseForm(body: string): Params {
  const result: Params = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const [head, ...rest] = key.split('[');
    const path = [head ?? key, ...rest.map((part) => part.replace(/\]$/, ''))];
    let target = result;
    for (const part of path.slice(0, -1)) {
      target[part] ??= {};
      target = target[part] as Params;
    }
    target[path.at(-1) ?? key] = value;
  }
  return result;
}

// Stripe names every request it answers; its errors carry the id for support to trace.
const stripeError = (res: ServerResponse, status: number, type: string, message: string, extra: Record<string, string> = {}) =>
  sendJson(res, status, { error: { type, message, ...extra } }, { 'request-id': id('req') });

const missing = (res: ServerResponse, what: string, which: string) =>
  stripeError(res, 404, 'invalid_request_error', `No such ${what}: '${which}'`, { code: 'resource_missing', param: 'id' });

/** A page of a list, newest first, as Stripe pages it. */
function page<T extends { id: string }>(res: ServerResponse, items: T[], url: URL): void {
  const limit = Number(url.searchParams.get('limit') ?? 10);
  const all = items.slice().reverse();
  const after = url.searchParams.get('starting_after');
  const start = after ? all.findIndex((item) => item.id === after) + 1 : 0;
  sendJson(res, 200, { object: 'list', data: all.slice(start, start + limit), has_more: start + limit < all.length, url: url.pathname });
}

export class FakeStripe {
  readonly customers = new Map<string, Customer>();
  readonly accounts = new Set<string>();
  readonly balanceTransactions: BalanceTransaction[] = [];
  readonly coupons: Coupon[] = [];
  readonly promotionCodes: PromotionCode[] = [];
  readonly transfers: Transfer[] = [];
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
    const customer: Customer = { id: id('cus'), object: 'customer', balance: 0, created: now(), livemode: false };
    this.customers.set(customer.id, customer);
    return customer.id;
  }

  /** A Connect account that can receive transfers. */
  createConnectedAccount(): string {
    const account = id('acct');
    this.accounts.add(account);
    return account;
  }

  creditsFor(customer: string): BalanceTransaction[] {
    return this.balanceTransactions.filter((t) => t.customer === customer);
  }

  transfersTo(account: string): Transfer[] {
    return this.transfers.filter((transfer) => transfer.destination === account);
  }

  /** A balance transaction made by a person in the Stripe dashboard, not through the engine. */
  addByHand(customerId: string, fields: Pick<BalanceTransaction, 'amount' | 'currency' | 'metadata'>): BalanceTransaction {
    const customer = this.customers.get(customerId);
    if (!customer) throw new Error(`no customer ${customerId}`);
    customer.balance += fields.amount;
    const transaction: BalanceTransaction = {
      id: id('cbtxn'),
      object: 'customer_balance_transaction',
      ...fields,
      description: 'Added by hand',
      customer: customer.id,
      created: now(),
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

  /** A transfer whose amount someone changed by hand (Stripe would not allow it; it stands for any mismatch). */
  editTransferAmount(id: string, amount: number): void {
    const transfer = this.transfers.find((t) => t.id === id);
    if (!transfer) throw new Error(`no transfer ${id}`);
    transfer.amount = amount;
  }

  /** Listings (balance transactions, transfers, reversals) answer with this error until told otherwise (null). */
  refuseListings(error: { status: number; type: string; message: string } | null): void {
    this.listingRefusal = error;
  }

  /** The next creations (of any object) answer with this error instead. */
  failNextCreates(times: number, status: number, type: string, message: string): void {
    for (let i = 0; i < times; i++) this.faults.push({ kind: 'error', status, type, message });
  }

  /** The next creations are carried out and their connections cut before the answer: the caller never hears. */
  dropNextAnswers(times: number): void {
    for (let i = 0; i < times; i++) this.faults.push({ kind: 'drop' });
  }

  /** Stripe keeps idempotency keys for 24 hours; this is the day after. */
  expireIdempotencyKeys(): void {
    this.idempotent.clear();
  }

  /**
   * The next creation is carried out, then its answer is held back until released: the moment a
   * crashed caller would never hear that it succeeded. With `failWith`, the answer (then and on every
   * replay of its idempotency key) is that error status instead, as when Stripe fails after committing.
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
    const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
    this.requests.push({ method: req.method ?? '', path: url.pathname, idempotencyKey: key });
    if (!/^Bearer sk_test_\w+$/.test(req.headers.authorization ?? '')) return stripeError(res, 401, 'invalid_request_error', 'Invalid API Key provided');
    const params = parseForm(body);
    const route = `${req.method} ${url.pathname.replace(/\/(cus|acct|tr|promo|trr)_\w+/g, '/$1_*').replace(/^\/v1\/coupons\/[^/]+$/, '/v1/coupons/*')}`;
    const segment = (n: number) => url.pathname.split('/')[n] ?? '';
    const refusal = this.listingRefusal;
    if (refusal && req.method === 'GET' && /^\/v1\/(customers\/[^/]+\/balance_transactions|transfers(\/[^/]+\/reversals)?)$/.test(url.pathname)) {
      return stripeError(res, refusal.status, refusal.type, refusal.message);
    }

    switch (route) {
      case 'POST /v1/customers':
        return sendJson(res, 200, this.customers.get(this.createCustomer()));
      case 'GET /v1/customers/cus_*': {
        const customer = this.customers.get(segment(3));
        return customer ? sendJson(res, 200, customer) : missing(res, 'customer', segment(3));
      }
      case 'GET /v1/customers/cus_*/balance_transactions': {
        if (!this.customers.has(segment(3))) return missing(res, 'customer', segment(3));
        return page(res, this.creditsFor(segment(3)), url);
      }
      case 'POST /v1/customers/cus_*/balance_transactions': {
        const customer = this.customers.get(segment(3));
        if (!customer) return missing(res, 'customer', segment(3));
        return this.create(res, params, key, () => this.balanceTransaction(customer, params));
      }
      case 'POST /v1/coupons':
        return this.create(res, params, key, () => this.coupon(params));
      case 'GET /v1/coupons/*': {
        const coupon = this.coupons.find((c) => c.id === decodeURIComponent(segment(3)));
        return coupon ? sendJson(res, 200, coupon) : missing(res, 'coupon', segment(3));
      }
      case 'POST /v1/promotion_codes':
        return this.create(res, params, key, () => this.promotionCode(params));
      case 'GET /v1/promotion_codes': {
        const coupon = url.searchParams.get('coupon');
        return page(
          res,
          this.promotionCodes.filter((code) => !coupon || code.promotion.coupon === coupon),
          url,
        );
      }
      case 'POST /v1/promotion_codes/promo_*': {
        const code = this.promotionCodes.find((c) => c.id === segment(3));
        if (!code) return missing(res, 'promotion code', segment(3));
        if (params.active !== undefined) code.active = params.active === 'true';
        return sendJson(res, 200, code);
      }
      case 'POST /v1/transfers':
        return this.create(res, params, key, () => this.transfer(params));
      case 'GET /v1/transfers': {
        const group = url.searchParams.get('transfer_group');
        return page(
          res,
          this.transfers.filter((transfer) => !group || transfer.transfer_group === group),
          url,
        );
      }
      case 'POST /v1/transfers/tr_*/reversals':
      case 'GET /v1/transfers/tr_*/reversals': {
        const transfer = this.transfers.find((t) => t.id === segment(3));
        if (!transfer) return missing(res, 'transfer', segment(3));
        if (req.method === 'GET') return page(res, transfer.reversals.data, url);
        return this.create(res, params, key, () => this.reversal(transfer, params));
      }
      default:
        return stripeError(res, 404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${url.pathname})`);
    }
  };

  /** A creation as Stripe makes it: replayed for a repeated idempotency key, refused for one reused with other parameters, faults first. */
  private async create(res: ServerResponse, params: Params, key: string | null, make: () => Created): Promise<void> {
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
    if (key) this.idempotent.set(key, 'in_flight');
    const made = make();
    const answer =
      fault?.kind === 'hold' && fault.failWith && made.status === 200
        ? { status: fault.failWith, body: { error: { type: 'api_error', message: 'An unknown error occurred' } } }
        : made;
    // Stripe does not keep the answer to a request it refused as invalid.
    if (key && made.status < 400) this.idempotent.set(key, { fingerprint, ...answer });
    else if (key) this.idempotent.delete(key);
    if (fault?.kind === 'hold') {
      fault.processed();
      await fault.release;
    }
    if (fault?.kind === 'drop') {
      res.socket?.destroy();
      return;
    }
    if (!res.destroyed) sendJson(res, answer.status, answer.body, { 'request-id': id('req') });
  }

  private invalid(message: string, param: string): Created {
    return { status: 400, body: { error: { type: 'invalid_request_error', message, param } } };
  }

  private balanceTransaction(customer: Customer, params: Params): Created {
    const amount = Number(params.amount);
    if (!Number.isInteger(amount) || amount === 0 || typeof params.currency !== 'string')
      return this.invalid('amount must be a non-zero integer and currency is required', 'amount');
    customer.balance += amount;
    const transaction: BalanceTransaction = {
      id: id('cbtxn'),
      object: 'customer_balance_transaction',
      amount,
      currency: params.currency,
      customer: customer.id,
      description: text(params.description),
      metadata: metadataOf(params),
      created: now(),
      ending_balance: customer.balance,
      type: 'adjustment',
      livemode: false,
    };
    this.balanceTransactions.push(transaction);
    return { status: 200, body: transaction };
  }

  private coupon(params: Params): Created {
    const couponId = text(params.id) ?? id('cpn');
    if (this.coupons.some((c) => c.id === couponId)) {
      return {
        status: 400,
        body: { error: { type: 'invalid_request_error', code: 'resource_already_exists', message: 'Coupon already exists.', param: 'id' } },
      };
    }
    const percentOff = params.percent_off === undefined ? null : Number(params.percent_off);
    const amountOff = params.amount_off === undefined ? null : Number(params.amount_off);
    if ((percentOff === null) === (amountOff === null)) return this.invalid('give exactly one of percent_off and amount_off', 'percent_off');
    if (amountOff !== null && !params.currency) return this.invalid('currency is required with amount_off', 'currency');
    const coupon: Coupon = {
      id: couponId,
      object: 'coupon',
      percent_off: percentOff,
      amount_off: amountOff,
      currency: text(params.currency),
      duration: text(params.duration) ?? 'once',
      duration_in_months: params.duration_in_months === undefined ? null : Number(params.duration_in_months),
      name: text(params.name),
      metadata: metadataOf(params),
      valid: true,
      created: now(),
      livemode: false,
    };
    this.coupons.push(coupon);
    return { status: 200, body: coupon };
  }

  private promotionCode(params: Params): Created {
    const promotion = params.promotion as Params | undefined;
    const couponId = text(promotion?.coupon);
    if (!couponId || !this.coupons.some((c) => c.id === couponId)) return this.invalid(`No such coupon: '${couponId}'`, 'promotion[coupon]');
    const customer = text(params.customer);
    if (customer && !this.customers.has(customer)) return this.invalid(`No such customer: '${customer}'`, 'customer');
    const code: PromotionCode = {
      id: id('promo'),
      object: 'promotion_code',
      code: text(params.code) ?? randomBytes(4).toString('hex').toUpperCase(),
      active: true,
      customer,
      max_redemptions: params.max_redemptions === undefined ? null : Number(params.max_redemptions),
      times_redeemed: 0,
      promotion: { type: 'coupon', coupon: couponId },
      restrictions: { first_time_transaction: (params.restrictions as Params | undefined)?.first_time_transaction === 'true' },
      metadata: metadataOf(params),
      created: now(),
      livemode: false,
    };
    this.promotionCodes.push(code);
    return { status: 200, body: code };
  }

  private transfer(params: Params): Created {
    const destination = text(params.destination) ?? '';
    if (!this.accounts.has(destination)) return this.invalid(`No such destination: '${destination}'`, 'destination');
    const amount = Number(params.amount);
    if (!Number.isInteger(amount) || amount <= 0) return this.invalid('amount must be a positive integer', 'amount');
    const transferId = id('tr');
    const transfer: Transfer = {
      id: transferId,
      object: 'transfer',
      amount,
      amount_reversed: 0,
      currency: text(params.currency) ?? '',
      destination,
      transfer_group: text(params.transfer_group),
      description: text(params.description),
      metadata: metadataOf(params),
      reversed: false,
      reversals: { object: 'list', data: [], has_more: false, url: `/v1/transfers/${transferId}/reversals` },
      created: now(),
      livemode: false,
    };
    this.transfers.push(transfer);
    return { status: 200, body: transfer };
  }

  private reversal(transfer: Transfer, params: Params): Created {
    const amount = params.amount === undefined ? transfer.amount - transfer.amount_reversed : Number(params.amount);
    if (amount <= 0 || amount > transfer.amount - transfer.amount_reversed) return this.invalid('the transfer has already been reversed', 'amount');
    const reversal: TransferReversal = {
      id: id('trr'),
      object: 'transfer_reversal',
      amount,
      currency: transfer.currency,
      transfer: transfer.id,
      metadata: metadataOf(params),
      created: now(),
    };
    transfer.reversals.data.push(reversal);
    transfer.amount_reversed += amount;
    transfer.reversed = transfer.amount_reversed === transfer.amount;
    return { status: 200, body: reversal };
  }
}
