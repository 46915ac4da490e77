"use client";
// Every host with its SSH target, pinned key and instances, each with its last verdict and how old it is.
import Link from "next/link";
import { Badge, EmptyState, ErrorAlert, LoadingBlock } from "~/components/ui/feedback";
import { Age, Timestamp } from "~/components/ui/time";
import { readError } from "~/lib/errors";
import type { THostItem } from "~/lib/types";
import { verdictTone } from "~/lib/verdicts";

export function HostList({
  hosts,
}: {
  hosts: { isPending: boolean; isError: boolean; error: unknown; data: THostItem[] | undefined };
}) {
  if (hosts.isPending) return <LoadingBlock label="Loading hosts…" />;
  if (hosts.isError || hosts.data === undefined) {
    return <ErrorAlert title="Could not load the hosts" message={readError(hosts.error).message} />;
  }
  if (hosts.data.length === 0) {
    return (
      <EmptyState title="No hosts yet">
        Add the first database host below: pgrescue logs in over SSH and pins its host key.
      </EmptyState>
    );
  }
  return (
    <ul className="space-y-3" aria-label="Hosts">
      {hosts.data.map((host) => (
        <li
          key={host.id}
          data-testid={`host-${host.name}`}
          className="rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900"
        >
          <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 border-b border-zinc-200 px-4 py-2.5 dark:border-zinc-800">
            <h3 className="font-semibold">{host.name}</h3>
            <p className="font-mono text-sm">
              {host.sshUser}@{host.address.includes(":") ? `[${host.address}]` : host.address}:
              {host.port}
              {host.becomeUser === null ? null : (
                <span className="text-zinc-600 dark:text-zinc-400">
                  {" "}
                  → sudo -u {host.becomeUser}
                </span>
              )}
            </p>
            <p className="text-sm text-zinc-600 dark:text-zinc-400">
              auth: {host.authMethod.toLowerCase()}
            </p>
          </div>
          <div className="space-y-2 px-4 py-2.5 text-sm">
            {host.hostKeyMismatchAt === null ? (
              <p>
                Host key{" "}
                <span className="font-mono" data-testid="host-key-fingerprint">
                  {host.hostKeyAlgorithm ?? ""} {host.hostKeyFingerprint ?? "—"}
                </span>{" "}
                {host.hostKeyPinnedAt === null ? null : (
                  <span className="text-zinc-600 dark:text-zinc-400">
                    pinned <Timestamp date={host.hostKeyPinnedAt} />
                  </span>
                )}
              </p>
            ) : (
              <p role="alert" className="font-medium text-red-700 dark:text-red-400">
                HOST KEY MISMATCH: presented {host.hostKeyMismatchFingerprint ?? "?"} instead of the
                pinned {host.hostKeyFingerprint ?? "?"} (<Timestamp date={host.hostKeyMismatchAt} />
                ). All work on this host is blocked until an admin verifies and re-pins the key.
              </p>
            )}
            {host.instances.length === 0 ? (
              <p className="text-zinc-600 dark:text-zinc-400">No instances yet: add one below.</p>
            ) : (
              <table className="w-full text-left text-sm">
                <caption className="sr-only">Instances on {host.name}</caption>
                <thead className="text-xs text-zinc-600 uppercase dark:text-zinc-400">
                  <tr>
                    <th scope="col" className="py-1 pr-4 font-medium">
                      Instance
                    </th>
                    <th scope="col" className="py-1 pr-4 font-medium">
                      Data directory
                    </th>
                    <th scope="col" className="py-1 pr-4 font-medium">
                      Last verdict
                    </th>
                    <th scope="col" className="py-1 font-medium">
                      Diagnosed
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {host.instances.map((instance) => {
                    const last = instance.snapshots[0];
                    return (
                      <tr
                        key={instance.id}
                        className="border-t border-zinc-100 dark:border-zinc-800"
                      >
                        <td className="py-1.5 pr-4">
                          <Link
                            href={`/instances/${instance.id}`}
                            className="font-medium text-sky-800 underline-offset-2 hover:underline dark:text-sky-300"
                          >
                            {instance.name}
                          </Link>
                        </td>
                        <td className="py-1.5 pr-4 font-mono text-xs break-all">
                          {instance.dataDir}
                        </td>
                        <td className="py-1.5 pr-4">
                          {last === undefined ? (
                            <span className="text-zinc-600 dark:text-zinc-400">
                              never diagnosed
                            </span>
                          ) : (
                            <Badge tone={verdictTone(last.verdict)}>{last.verdict}</Badge>
                          )}
                        </td>
                        <td className="py-1.5 whitespace-nowrap">
                          {last === undefined ? "—" : <Age date={last.takenAt} />}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}
