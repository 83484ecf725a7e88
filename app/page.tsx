import { HydrationBoundary } from '@tanstack/react-query';
import { Dashboard } from '../components/Dashboard';
import { readInitialState } from './initial-data';

// Rendered per request from the live runtime (the token check runs in the server before Next).
export const dynamic = 'force-dynamic';

export default async function Home() {
  const initial = await readInitialState();
  if (!initial) return <Dashboard />;
  const { dehydrated, ...screens } = initial;
  return (
    <HydrationBoundary state={dehydrated}>
      <Dashboard initial={screens} />
    </HydrationBoundary>
  );
}
