'use client';
import { useEffect, useState } from 'react';
import { getSocket } from './socket';

export type SocketState = 'connecting' | 'connected' | 'disconnected';

/** Connection state of the page's socket.io link, for the header's live dot. */
export function useSocketState(): { state: SocketState; id: string | undefined; error?: string } {
  const [state, setState] = useState<SocketState>('connecting');
  const [id, setId] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    const socket = getSocket();
    const sync = () => {
      setState(socket.connected ? 'connected' : 'disconnected');
      setId(socket.id);
      if (socket.connected) setError(undefined);
    };
    const onError = (err: Error) => {
      setState('disconnected');
      setError(err.message);
    };
    if (socket.connected) sync();
    socket.on('connect', sync);
    socket.on('disconnect', sync);
    socket.on('connect_error', onError);
    return () => {
      socket.off('connect', sync);
      socket.off('disconnect', sync);
      socket.off('connect_error', onError);
    };
  }, []);
  return { state, id, error };
}
