// Root layout: fonts, theme, the header with navigation and session, and the tRPC/TanStack Query provider.
import { GeistMono } from "geist/font/mono";
import { GeistSans } from "geist/font/sans";
import type { Metadata } from "next";
import Link from "next/link";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { SessionNav } from "~/components/session/session-nav";
import { TRPCReactProvider } from "~/trpc/react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "pgrescue", template: "%s · pgrescue" },
  description: "Bring stuck PostgreSQL instances back to life, safely.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page is rendered per request: its scripts carry the nonce of that response's Content-Security-Policy (a
  // page prerendered at build time would carry none, and the browser would refuse to run it).
  await connection();
  return (
    <html lang="en" className={`${GeistSans.variable} ${GeistMono.variable}`}>
      <body className="min-h-screen bg-zinc-50 font-sans text-zinc-900 antialiased dark:bg-zinc-950 dark:text-zinc-100">
        <a
          href="#main"
          className="sr-only rounded-md bg-sky-700 px-3 py-2 text-white focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50"
        >
          Skip to content
        </a>
        <TRPCReactProvider>
          <header className="border-b border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
            <div className="mx-auto flex max-w-7xl items-center gap-6 px-4 py-2.5">
              <Link href="/" className="rounded font-mono text-lg font-semibold tracking-tight">
                pgrescue
              </Link>
              <SessionNav />
            </div>
          </header>
          <main id="main" className="mx-auto max-w-7xl px-4 py-6">
            {children}
          </main>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
