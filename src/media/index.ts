/** The media storage of a configuration: an S3-compatible bucket (PLEIN_MEDIA_S3_*), local disk in PLEIN_MEDIA_DIR, or memory ("memory://"). */
import { type Config, IN_MEMORY } from "../config.ts";
import { LocalDiskStorage } from "./local-disk.ts";
import { MemoryStorage } from "./memory.ts";
import { S3Storage } from "./s3.ts";
import type { MediaStorage } from "./storage.ts";

export { formatBytes, type MediaStorage, MediaTooLargeError, type StoredBytes, type StoredFile } from "./storage.ts";

const storages = new WeakMap<Config, MediaStorage>();

/** One storage per configuration (each running instance has its own). */
export function mediaStorage(config: Config): MediaStorage {
  let storage = storages.get(config);
  if (!storage) {
    storage = config.mediaS3 ? new S3Storage(config.mediaS3)
      : config.mediaDir === IN_MEMORY ? new MemoryStorage()
      : new LocalDiskStorage(config.mediaDir);
    storages.set(config, storage);
  }
  return storage;
}
