import type { z } from 'zod';
import type { EnvelopeSchema } from '../protocol';

/**
 * The envelope with its fields typed. lib/protocol's `Envelope` is `Omit<…>` of a loose object,
 * and Omit over an index signature turns every known field into `unknown`; dropping the index
 * signature first keeps `from`, `delivery` and the rest typed from the same schema.
 */
type KnownKeys<T> = { [K in keyof T as string extends K ? never : K]: T[K] };
export type WireEnvelope<P = unknown> = Omit<KnownKeys<z.infer<typeof EnvelopeSchema>>, 'payload'> & { payload: P };
