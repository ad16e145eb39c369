// API keys as the API shows them: the scopes a key can hold, and a key's description (never the key itself).
import { z } from 'zod';

export const scopes = ['admin', 'ingest', 'ops', 'finance'] as const;
export const scopeSchema = z.enum(scopes);
export type Scope = z.infer<typeof scopeSchema>;

export const apiKeySchema = z.object({
  keyId: z.string(),
  name: z.string(),
  scopes: z.array(scopeSchema),
  createdAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().nullable(),
});
export type ApiKey = z.infer<typeof apiKeySchema>;
