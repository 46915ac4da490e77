// docker-compose.yml cannot run here (no Docker engine), so it is kept correct by parsing it.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";

const root = new URL("../", import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), "utf8");

const ZCompose = z.object({
  services: z.object({
    store: z.object({
      image: z.string(),
      environment: z.object({
        POSTGRES_USER: z.string(),
        POSTGRES_PASSWORD: z.string(),
        POSTGRES_DB: z.string(),
      }),
      healthcheck: z.object({ test: z.array(z.string()) }),
    }),
    console: z.object({
      build: z.string(),
      depends_on: z.object({ store: z.object({ condition: z.literal("service_healthy") }) }),
      environment: z.object({
        DATABASE_URL: z.string(),
        HOST: z.string(),
        PORT: z.string(),
        PGRESCUE_DATA_DIR: z.string(),
      }),
      volumes: z.array(z.string()),
      ports: z.array(z.string()),
    }),
  }),
  volumes: z.record(z.string(), z.unknown()),
});

describe("docker-compose.yml", () => {
  const compose = ZCompose.parse(parse(read("docker-compose.yml")));
  const { store, console: app } = compose.services;

  it("points the console at the store service with the store's own credentials", () => {
    const url = new URL(app.environment.DATABASE_URL);
    expect(url.protocol).toBe("postgresql:");
    expect(url.hostname).toBe("store");
    expect(decodeURIComponent(url.username)).toBe(store.environment.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(store.environment.POSTGRES_PASSWORD);
    expect(url.pathname.slice(1)).toBe(store.environment.POSTGRES_DB);
    expect(store.image).toMatch(/^postgres:\d+/);
  });

  it("publishes the port the console listens on, on all interfaces inside the container", () => {
    expect(app.ports).toContain(`${app.environment.PORT}:${app.environment.PORT}`);
    expect(app.environment.HOST).toBe("0.0.0.0");
  });

  it("keeps the console's data dir (its secret.key) on a named volume", () => {
    const dataDir = app.environment.PGRESCUE_DATA_DIR;
    const mount = app.volumes.find((v) => v.endsWith(`:${dataDir}`));
    expect(mount).toBeDefined();
    expect(Object.keys(compose.volumes)).toContain(mount?.split(":")[0]);
  });

  it("builds from a Dockerfile whose command is the console's serve script", () => {
    expect(app.build).toBe(".");
    const dockerfile = read("Dockerfile");
    const web = z
      .object({ scripts: z.record(z.string(), z.string()) })
      .parse(JSON.parse(read("apps/web/package.json")));
    expect(dockerfile).toMatch(/CMD \["pnpm", "--filter", "@pgrescue\/web", "run", "serve"\]/);
    expect(web.scripts.serve).toBeDefined();
    expect(dockerfile).toMatch(/pnpm install --frozen-lockfile/);
  });
});
