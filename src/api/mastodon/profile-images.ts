/**
 * Avatars and headers of local accounts: `avatar` and `header` files of
 * PATCH /api/v1/accounts/update_credentials (multipart), cropped to 400x400
 * and 1500x500 with every piece of metadata stripped (src/media/images.ts);
 * DELETE /api/v1/profile/avatar and /api/v1/profile/header go back to none.
 * They are served to anyone at /uploads/:id/original and federated as the
 * actor's icon and image.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import type { Actor } from "../../db/schema.ts";
import { type ProfileImage, removeProfileImage, setProfileImage } from "../../domain/uploads.ts";
import { allowLargeBody } from "../../http/body-limit.ts";
import { mediaStorage } from "../../media/index.ts";
import { dropStored, keepUpload } from "../../media/uploads.ts";
import { type ApiContext, type ApiEnv, currentAccount, requireAuth } from "./auth.ts";
import { renderCredentialAccount } from "./entities/account.ts";
import { fileBytes, optionalFile, uploadFailure } from "./media.ts";
import type { Params } from "./params.ts";

const FORM_OVERHEAD_BYTES = 1024 * 1024;
const IMAGES: readonly ProfileImage[] = ["avatar", "header"];

/** Room for an avatar and a header in one update_credentials request. */
export function allowProfileImageUploads(): void {
  allowLargeBody({
    method: "PATCH", path: "/api/v1/accounts/update_credentials",
    maxBytes: (config) => 2 * config.maxFileBytes + FORM_OVERHEAD_BYTES,
  });
}

/**
 * Applies the `avatar` and `header` files of an update_credentials request;
 * the account as it is afterwards, or a Response for an image refused.
 */
export async function applyProfileImages(c: ApiContext, params: Params, account: Actor): Promise<Actor | Response> {
  const deps = c.get("deps");
  const storage = mediaStorage(deps.config);
  const limit = deps.config.maxFileBytes;
  let actor = account;
  for (const purpose of IMAGES) {
    const file = optionalFile(params, purpose);
    if (!file) continue;
    try {
      const bytes = await fileBytes(file, limit);
      const changed = await keepUpload(storage, { purpose, bytes, fileName: file.name, maxBytes: limit },
        (upload) => setProfileImage(deps.db, deps.config.origin, actor, purpose, upload));
      if (changed.dropped) await dropStored(storage, [changed.dropped.storage_key, changed.dropped.preview_storage_key]);
      actor = changed.actor;
    } catch (error) {
      return uploadFailure(c, error);
    }
  }
  return actor;
}

export function mountProfileImages(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();
  for (const purpose of IMAGES) {
    r.delete(`/${purpose}`, requireAuth("write:accounts"), async (c) => {
      const deps = c.get("deps");
      const { actor, dropped } = await removeProfileImage(deps.db, deps.config.origin, currentAccount(c), purpose);
      if (dropped) await dropStored(mediaStorage(deps.config), [dropped.storage_key, dropped.preview_storage_key]);
      return c.json(await renderCredentialAccount(deps, actor));
    });
  }
  app.route("/api/v1/profile", r);
}
