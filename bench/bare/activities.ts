/** The baseline's one activity: nothing, so only Temporal's cost remains. */
export async function noop(): Promise<void> {}
