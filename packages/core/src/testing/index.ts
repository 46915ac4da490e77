// Test support exported as @pgrescue/core/testing: lab expectations for diagnoses, and hostile input values.
export * from "./lab-expectations.ts";
export * from "./hostile-values.ts";
