import { HydrationBoundary } from '@tanstack/react-query';
import { cookies, headers } from 'next/headers';
import { Dashboard } from '../components/Dashboard';
import { FOCUS_COOKIE, parseFocus } from '../client/focusMemory';
import { readInitialState } from './initial-data';

// Rendered per request from the live runtime (the token check runs in the server before Next).
export const dynamic = 'force-dynamic';

/** Phones say so (Client Hint or user agent); the layout is then right before the scripts run. */
async function looksLikePhone(): Promise<boolean> {
  const h = await headers();
  if (h.get('sec-ch-ua-mobile') === '?1') return true;
  return /\b(iPhone|iPod|Android.*Mobile|Mobile Safari|Windows Phone)\b/i.test(h.get('user-agent') ?? '');
}

export default async function Home() {
  const recent = parseFocus((await cookies()).get(FOCUS_COOKIE)?.value);
  const [initial, phoneHint] = await Promise.all([readInitialState(recent), looksLikePhone()]);
  if (!initial) return <Dashboard phoneHint={phoneHint} />;
  const { dehydrated, ...screens } = initial;
  return (
    <HydrationBoundary state={dehydrated}>
      <Dashboard initial={screens} phoneHint={phoneHint} />
    </HydrationBoundary>
  );
}
