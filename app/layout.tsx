import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import '@xterm/xterm/css/xterm.css';
import 'react-diff-view/style/index.css';
import './globals.css';
import { Providers } from '../components/Providers';

export const metadata: Metadata = {
  title: 'agent-relay',
  description: 'Watch and steer your AI coding agents: real terminals, messages between agents, one dashboard.',
};

export const viewport: Viewport = {
  themeColor: '#07090d',
  width: 'device-width',
  initialScale: 1,
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" className="dark">
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
