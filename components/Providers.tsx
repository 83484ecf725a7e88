'use client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { bindLiveUpdates } from '../client/queries';
import { getSocket } from '../client/socket';
import { markOnce } from '../client/perfMarks';
import { loadXterm } from '../client/xtermLoader';

// The first terminal needs both the socket and xterm.js: start connecting and fetching them as soon as
// this chunk runs, while React is still hydrating, rather than from the effects that first use them.
if (typeof window !== 'undefined') {
  markOnce('scripts');
  getSocket().once('connect', () => markOnce('socket-connected'));
  void loadXterm().then(() => markOnce('xterm-loaded'));
}

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
