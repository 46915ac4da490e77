"use client";
// The buttons of a filter form kept in the URL: apply, and clear (back to the bare page) when a filter is set.
import { usePathname, useRouter } from "next/navigation";
import { Button } from "./button";

export function FilterFormActions({
  active,
  className = "",
}: {
  active: boolean;
  className?: string;
}) {
  const router = useRouter();
  const pathname = usePathname();
  return (
    <div className={`flex items-end gap-2 ${className}`}>
      <Button type="submit" variant="primary">
        Apply filters
      </Button>
      {active ? (
        <Button
          onClick={() => {
            router.push(pathname);
          }}
        >
          Clear
        </Button>
      ) : null}
    </div>
  );
}
