"use client";
// The header's right side: navigation, who is signed in with their role, and sign-out.
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState } from "react";
import { Button, buttonClass } from "~/components/ui/button";
import { Badge } from "~/components/ui/feedback";
import { useMe } from "./use-me";

const LINKS = [
  { href: "/hosts", label: "Hosts" },
  { href: "/history", label: "History" },
  { href: "/account", label: "Account" },
];
/** Shown to admins only; the pages and the API check the role themselves. */
const ADMIN_LINKS = [
  { href: "/admin/users", label: "Users" },
  { href: "/admin/audit", label: "Audit" },
];

export function SessionNav() {
  const pathname = usePathname();
  // On the sign-in page nobody is signed in (or is about to sign in again): do not ask.
  const me = useMe(pathname !== "/sign-in" && pathname !== "/setup");
  const [signingOut, setSigningOut] = useState(false);

  const signOut = async () => {
    setSigningOut(true);
    try {
      await fetch("/api/auth/sign-out", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
    } finally {
      // A full load drops every cached answer of the old session.
      window.location.assign("/sign-in");
    }
  };

  return (
    <div className="flex min-w-0 flex-1 items-center justify-between gap-4">
      <nav aria-label="Main">
        <ul className="flex items-center gap-1">
          {[...LINKS, ...(me.data?.role === "ADMIN" ? ADMIN_LINKS : [])].map((link) => {
            const active = pathname === link.href || pathname.startsWith(`${link.href}/`);
            return (
              <li key={link.href}>
                <Link
                  href={link.href}
                  aria-current={active ? "page" : undefined}
                  className={buttonClass(
                    "ghost",
                    active ? "bg-zinc-100 text-zinc-900 dark:bg-zinc-800 dark:text-zinc-50" : "",
                  )}
                >
                  {link.label}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      {/* Fixed minimum width: the header does not jump when users.me answers. */}
      <div className="flex min-w-56 items-center justify-end gap-2 text-sm" data-testid="session">
        {pathname === "/sign-in" || pathname === "/setup" ? null : me.isPending ? (
          <span className="text-zinc-600 dark:text-zinc-400">Checking session…</span>
        ) : me.isError ? (
          <Link href="/sign-in" className={buttonClass("primary")}>
            Sign in
          </Link>
        ) : (
          <>
            <span className="truncate" title="Signed in">
              <span className="sr-only">Signed in as </span>
              <span data-testid="signed-in-as" className="font-medium">
                {me.data.label}
              </span>
            </span>
            <Badge tone="info" title="Your role: what you may do in this console">
              <span className="sr-only">role </span>
              <span data-testid="signed-in-role">{me.data.role.toLowerCase()}</span>
            </Badge>
            <Button variant="ghost" busy={signingOut} onClick={() => void signOut()}>
              Sign out
            </Button>
          </>
        )}
      </div>
    </div>
  );
}
