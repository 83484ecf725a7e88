'use client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { bindLiveUpdates } from '../lib/client/queries';
import { getSocket } from '../lib/client/socket';

/** Query cache for server state, kept fresh by socket.io events instead of polling. */
export function Providers({ children }: { children: ReactNode }) {
  const [client] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: { staleTime: Infinity, refetchOnWindowFocus: false, retry: 1 },
        },
      }),
  );
  useEffect(() => bindLiveUpdates(getSocket(), client), [client]);
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}
