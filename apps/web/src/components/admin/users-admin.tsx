"use client";
// Admins manage people: create an account with a first password, change a role, disable or enable, set a
// new password. The server refuses anything that would leave no active admin; this page shows why.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type SubmitEvent } from "react";
import { Button } from "~/components/ui/button";
import { Alert, Badge, ErrorAlert, LoadingBlock } from "~/components/ui/feedback";
import { SelectField, TextField } from "~/components/ui/field";
import { Timestamp } from "~/components/ui/time";
import { readError } from "~/lib/errors";
import type { RouterOutputs, TRole } from "~/lib/types";
import { useTRPC } from "~/trpc/react";

const ROLES: { value: TRole; label: string }[] = [
  { value: "VIEWER", label: "viewer — reads" },
  { value: "OPERATOR", label: "operator — diagnoses, runs approved steps" },
  { value: "APPROVER", label: "approver — also approves steps" },
  { value: "ADMIN", label: "admin — users, hosts, policy" },
];

type TUser = RouterOutputs["users"]["list"][number];

function useUserMutations() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const onSuccess = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  return {
    create: useMutation(trpc.users.create.mutationOptions({ onSuccess })),
    setRole: useMutation(trpc.users.setRole.mutationOptions({ onSuccess })),
    setDisabled: useMutation(trpc.users.setDisabled.mutationOptions({ onSuccess })),
    resetPassword: useMutation(trpc.users.resetPassword.mutationOptions({ onSuccess })),
  };
}

function CreateUserForm({ create }: { create: ReturnType<typeof useUserMutations>["create"] }) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<TRole>("OPERATOR");
  const [password, setPassword] = useState("");
  const error = create.isError ? readError(create.error) : null;
  const fields = error?.fieldErrors ?? {};
  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    create.mutate(
      { email: email.trim(), name: name.trim(), role, password },
      {
        onSuccess: () => {
          setEmail("");
          setName("");
          setPassword("");
        },
      },
    );
  };
  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Create a user">
      <div className="grid gap-3 md:grid-cols-2">
        <TextField
          label="E-mail"
          name="new-user-email"
          type="email"
          required
          value={email}
          errors={fields.email}
          onChange={(e) => {
            setEmail(e.target.value);
          }}
        />
        <TextField
          label="Name"
          name="new-user-name"
          required
          value={name}
          errors={fields.name}
          onChange={(e) => {
            setName(e.target.value);
          }}
        />
        <SelectField
          label="Role"
          name="new-user-role"
          value={role}
          onChange={(e) => {
            setRole(e.target.value as TRole);
          }}
        >
          {ROLES.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </SelectField>
        <TextField
          label="First password"
          name="new-user-password"
          type="password"
          autoComplete="new-password"
          required
          hint="Tell it to them out of band; they change it under Account."
          value={password}
          errors={fields.password}
          onChange={(e) => {
            setPassword(e.target.value);
          }}
        />
      </div>
      {create.isSuccess ? (
        <Alert tone="good" role="status">
          User created.
        </Alert>
      ) : null}
      {error !== null && Object.keys(fields).length === 0 ? (
        <ErrorAlert message={error.message} />
      ) : null}
      <Button type="submit" variant="primary" busy={create.isPending} disabled={create.isPending}>
        Create user
      </Button>
    </form>
  );
}

function ResetPassword({
  user,
  reset,
}: {
  user: TUser;
  reset: ReturnType<typeof useUserMutations>["resetPassword"];
}) {
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState("");
  if (!open)
    return (
      <Button
        variant="ghost"
        onClick={() => {
          setOpen(true);
        }}
      >
        Set password…<span className="sr-only"> for {user.email}</span>
      </Button>
    );
  const error = reset.isError && reset.variables.userId === user.id ? readError(reset.error) : null;
  return (
    <form
      className="flex items-end gap-2"
      aria-label={`New password for ${user.email}`}
      onSubmit={(event) => {
        event.preventDefault();
        reset.mutate(
          { userId: user.id, password },
          {
            onSuccess: () => {
              setOpen(false);
              setPassword("");
            },
          },
        );
      }}
    >
      <TextField
        label="New password"
        name={`password-${user.id}`}
        type="password"
        autoComplete="new-password"
        required
        value={password}
        errors={error === null ? undefined : [error.fieldErrors.password?.[0] ?? error.message]}
        onChange={(e) => {
          setPassword(e.target.value);
        }}
      />
      <Button type="submit" busy={reset.isPending}>
        Set
      </Button>
      <Button
        variant="ghost"
        onClick={() => {
          setOpen(false);
        }}
      >
        Cancel
      </Button>
    </form>
  );
}

export function UsersAdmin({ selfId }: { selfId: string }) {
  const trpc = useTRPC();
  const users = useQuery(trpc.users.list.queryOptions());
  const mutations = useUserMutations();
  const rowError = [mutations.setRole, mutations.setDisabled].find((m) => m.isError);

  return (
    <div className="space-y-5">
      <section
        aria-labelledby="users-heading"
        className="rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900"
      >
        <h2 id="users-heading" className="mb-3 text-base font-semibold">
          People
        </h2>
        {rowError?.error == null ? null : (
          <ErrorAlert message={readError(rowError.error).message} />
        )}
        {users.isPending ? (
          <LoadingBlock label="Loading users" />
        ) : users.isError ? (
          <ErrorAlert message={readError(users.error).message} />
        ) : (
          <table className="w-full text-left text-sm" aria-label="Users">
            <thead className="text-xs text-zinc-600 uppercase dark:text-zinc-400">
              <tr>
                <th className="py-1 pr-3">User</th>
                <th className="py-1 pr-3">Role</th>
                <th className="py-1 pr-3">State</th>
                <th className="py-1 pr-3">Since</th>
                <th className="py-1" />
              </tr>
            </thead>
            <tbody>
              {users.data.map((user) => (
                <tr
                  key={user.id}
                  data-testid="user-row"
                  data-email={user.email}
                  className="border-t border-zinc-200 align-top dark:border-zinc-800"
                >
                  <td className="py-2 pr-3">
                    <div className="font-medium break-all">{user.email}</div>
                    <div className="text-zinc-600 dark:text-zinc-400">{user.name}</div>
                  </td>
                  <td className="py-2 pr-3">
                    <label className="sr-only" htmlFor={`role-${user.id}`}>
                      Role of {user.email}
                    </label>
                    <select
                      id={`role-${user.id}`}
                      className="rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm dark:border-zinc-600 dark:bg-zinc-950"
                      value={user.role}
                      disabled={mutations.setRole.isPending}
                      onChange={(e) => {
                        mutations.setRole.mutate({
                          userId: user.id,
                          role: e.target.value as TRole,
                        });
                      }}
                    >
                      {ROLES.map((r) => (
                        <option key={r.value} value={r.value}>
                          {r.value.toLowerCase()}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="py-2 pr-3">
                    {user.disabledAt === null ? (
                      <Badge tone="good">active</Badge>
                    ) : (
                      <Badge tone="bad">disabled</Badge>
                    )}
                    <div className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">
                      {user.activeSessions} session{user.activeSessions === 1 ? "" : "s"} ·{" "}
                      {user.activeTokens} token{user.activeTokens === 1 ? "" : "s"}
                    </div>
                  </td>
                  <td className="py-2 pr-3">
                    <Timestamp date={user.createdAt} />
                  </td>
                  <td className="py-2 text-right">
                    <div className="flex flex-wrap justify-end gap-1">
                      {user.id === selfId ? null : (
                        <Button
                          variant="ghost"
                          busy={
                            mutations.setDisabled.isPending &&
                            mutations.setDisabled.variables.userId === user.id
                          }
                          onClick={() => {
                            mutations.setDisabled.mutate({
                              userId: user.id,
                              disabled: user.disabledAt === null,
                            });
                          }}
                        >
                          {user.disabledAt === null ? "Disable" : "Enable"}
                          <span className="sr-only"> {user.email}</span>
                        </Button>
                      )}
                      <ResetPassword user={user} reset={mutations.resetPassword} />
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section
        aria-labelledby="new-user-heading"
        className="rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900"
      >
        <h2 id="new-user-heading" className="mb-3 text-base font-semibold">
          New user
        </h2>
        <CreateUserForm create={mutations.create} />
      </section>
    </div>
  );
}
