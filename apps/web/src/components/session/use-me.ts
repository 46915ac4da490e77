"use client";
// Who is signed in (users.me), shared by the header and every page that adapts to the role.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react";

export function useMe(enabled = true) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.users.me.queryOptions(), staleTime: 60_000, retry: false, enabled });
}
