import type { DeliveryJob } from "./jobs.ts";

/**
 * "Something that servers read from us has changed": an actor's profile, a
 * post's content or visibility, a poll's tally, a module's object. Whatever
 * keeps published documents in memory (federation/document-cache.ts) listens
 * and forgets them. In this process only; other processes keep theirs until
 * their copies expire.
 */
const listeners = new Set<() => void>();

export function onPublishedChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function publishedChanged(): void {
  for (const listener of listeners) listener();
}

/**
 * The delivery jobs that tell peers a published document changed: queued in
 * the transaction of the change (and handled after its commit), so both
 * moments are a change's mark.
 */
export function changesPublished(job: DeliveryJob): boolean {
  switch (job.type) {
    case "actor.update":
    case "post.update":
    case "post.delete":
    case "poll.update":
    case "poll.close":
    case "module":
      return true;
    case "group.announce":
      return job.activity !== "create";
    default:
      return false;
  }
}
