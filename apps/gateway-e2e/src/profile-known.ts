interface GraphQLAnswer {
  errors?: { extensions?: Record<string, unknown> }[];
}

/**
 * Sends `request` again while it answers PROFILE_NOT_FOUND: events, segments and voice know a
 * profile once its ProfileCreated has reached them (documented behaviour; usually milliseconds).
 */
export async function onceProfileKnown<T extends GraphQLAnswer>(request: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await request();
    if (answer.errors?.[0]?.extensions?.reason !== 'PROFILE_NOT_FOUND' || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
