"use client";
// Admins manage people: create an account with a first password, change a role, disable or enable, set a
// new password. The server refuses anything that would leave no active admin; this page shows why.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type SubmitEvent } from "react";
import { Button } from "~/components/ui/button";
import { DataTable, type TColumn } from "~/components/ui/data-table";
import { Alert, Badge, ErrorAlert } from "~/components/ui/feedback";
import {
  Field,
  Options,
  EmailField,
  PasswordField,
  SelectField,
  TextField,
} from "~/components/ui/field";
import { Section } from "~/components/ui/layout";
import { QueryStatus } from "~/components/ui/query-status";
import { Timestamp } from "~/components/ui/time";
import { useDraft } from "~/components/ui/use-draft";
import { readError } from "~/lib/errors";
import type { RouterOutputs, TRole } from "~/lib/types";
import { useTRPC } from "~/trpc/react";

const ROLES: { value: TRole; label: string }[] = [
  { value: "VIEWER", label: "viewer — reads" },
  { value: "OPERATOR", label: "operator — diagnoses, runs approved steps" },
  { value: "APPROVER", label: "approver — also approves steps" },
  { value: "ADMIN", label: "admin — users, hosts, policy" },
];

/** The role a select's value names (the select only offers these). */
function toRole(value: string): TRole {
  return ROLES.find((role) => role.value === value)?.value ?? "VIEWER";
}

type TUser = RouterOutputs["users"]["list"][number];
type TUserMutations = ReturnType<typeof useUserMutations>;

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

function CreateUserForm({ create }: { create: TUserMutations["create"] }) {
  const draft = useDraft({ email: "", name: "", role: "OPERATOR", password: "" });
  const error = create.isError ? readError(create.error) : null;
  const fields = error?.fieldErrors ?? {};
  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const { email, name, role, password } = draft.values;
    create.mutate(
      { email: email.trim(), name: name.trim(), role: toRole(role), password },
      {
        onSuccess: () => {
          draft.clear("email", "name", "password");
        },
      },
    );
  };
  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Create a user">
      <div className="grid gap-3 md:grid-cols-2">
        <EmailField name="new-user-email" {...draft.bind("email", fields)} />
        <TextField label="Name" name="new-user-name" required {...draft.bind("name", fields)} />
        <SelectField label="Role" name="new-user-role" options={ROLES} {...draft.bind("role")} />
        <PasswordField
          label="First password"
          name="new-user-password"
          autoComplete="new-password"
          hint="Tell it to them out of band; they change it under Account."
          {...draft.bind("password", fields)}
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

function ResetPassword({ user, reset }: { user: TUser; reset: TUserMutations["resetPassword"] }) {
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
      <PasswordField
        label="New password"
        name={`password-${user.id}`}
        autoComplete="new-password"
        value={password}
        errors={error === null ? undefined : [error.fieldErrors.password?.[0] ?? error.message]}
        onValue={setPassword}
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

function userColumns(selfId: string, mutations: TUserMutations): TColumn<TUser>[] {
  const { setRole, setDisabled, resetPassword } = mutations;
  return [
    {
      header: "User",
      minWidth: "md",
      cell: (user) => (
        <>
          <div className="font-medium break-all">{user.email}</div>
          <div className="text-zinc-600 dark:text-zinc-400">{user.name}</div>
        </>
      ),
    },
    {
      header: "Role",
      cell: (user) => (
        <Field label={`Role of ${user.email}`} hideLabel>
          {(control) => (
            <select
              {...control}
              className="rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm dark:border-zinc-600 dark:bg-zinc-950"
              value={user.role}
              disabled={setRole.isPending}
              onChange={(e) => {
                setRole.mutate({ userId: user.id, role: toRole(e.target.value) });
              }}
            >
              <Options
                options={ROLES.map(({ value }) => ({ value, label: value.toLowerCase() }))}
              />
            </select>
          )}
        </Field>
      ),
    },
    {
      header: "State",
      cell: (user) => (
        <>
          {user.disabledAt === null ? (
            <Badge tone="good">active</Badge>
          ) : (
            <Badge tone="bad">disabled</Badge>
          )}
          <div className="mt-1 text-xs text-zinc-600 dark:text-zinc-400">
            {user.activeSessions} session{user.activeSessions === 1 ? "" : "s"} ·{" "}
            {user.activeTokens} token{user.activeTokens === 1 ? "" : "s"}
          </div>
        </>
      ),
    },
    { header: "Since", cell: (user) => <Timestamp date={user.createdAt} /> },
    {
      header: "Actions",
      hideHeader: true,
      className: "text-right",
      cell: (user) => (
        <div className="flex flex-wrap justify-end gap-1">
          {user.id === selfId ? null : (
            <Button
              variant="ghost"
              busy={setDisabled.isPending && setDisabled.variables.userId === user.id}
              onClick={() => {
                setDisabled.mutate({ userId: user.id, disabled: user.disabledAt === null });
              }}
            >
              {user.disabledAt === null ? "Disable" : "Enable"}
              <span className="sr-only"> {user.email}</span>
            </Button>
          )}
          <ResetPassword user={user} reset={resetPassword} />
        </div>
      ),
    },
  ];
}

export function UsersAdmin({ selfId }: { selfId: string }) {
  const trpc = useTRPC();
  const users = useQuery(trpc.users.list.queryOptions());
  const mutations = useUserMutations();
  const rowError = [mutations.setRole, mutations.setDisabled].find((m) => m.isError);

  return (
    <div className="space-y-5">
      <Section id="users" title="People">
        {rowError?.error == null ? null : (
          <ErrorAlert message={readError(rowError.error).message} />
        )}
        <QueryStatus query={users} loading="Loading users">
          {(list) => (
            <DataTable
              caption="Users"
              columns={userColumns(selfId, mutations)}
              rows={list}
              rowKey={(user) => user.id}
              rowProps={(user) => ({ "data-testid": "user-row", "data-email": user.email })}
              bodyPadding="py-2 pr-3 last:pr-0"
              empty={null}
            />
          )}
        </QueryStatus>
      </Section>
      <Section id="new-user" title="New user">
        <CreateUserForm create={mutations.create} />
      </Section>
    </div>
  );
}
