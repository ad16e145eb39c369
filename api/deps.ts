import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Db } from '../db/connect.ts';

/** What the ingress needs: Postgres for reads, Temporal for everything a referral does. */
export interface ApiDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  publicBaseUrl: string;
  adminApiKey: string;
  log: Logger;
}
