import type { Migration } from "kysely/migration";
import * as m0001 from "./0001_foundation.ts";
import * as m0002 from "./0002_social.ts";
import * as m0003 from "./0003_queue_tweaks.ts";
import * as m0004 from "./0004_lookup_indexes.ts";
import * as m0005 from "./0005_hide_collections.ts";
import * as m0006 from "./0006_groups.ts";
import * as m0007 from "./0007_media.ts";
import * as m0008 from "./0008_federation_policy.ts";
import * as m0009 from "./0009_delivery_audit.ts";
import * as m0010 from "./0010_group_domains.ts";
import * as m0011 from "./0011_oauth.ts";
import * as m0012 from "./0012_mastodon_extras.ts";
import * as m0013 from "./0013_remote_media.ts";
import * as m0014 from "./0014_mastodon_media.ts";
import * as m0015 from "./0015_lists_filters.ts";
import * as m0016 from "./0016_polls.ts";
import * as m0017 from "./0017_home_feed_counters.ts";
import * as m0019 from "./0019_reports_domain_blocks.ts";
import * as m0020 from "./0020_conversations.ts";
import * as m0021 from "./0021_local_actors.ts";
import * as m0022 from "./0022_registrations.ts";
import * as m0023 from "./0023_instance_admin.ts";
import * as m0024 from "./0024_report_groups.ts";
import * as m0025 from "./0025_signature_spec_defaults.ts";

/** All migrations, in order. Add new ones at the end; never edit a landed one. */
export const migrations: Record<string, Migration> = {
  "0001_foundation": m0001,
  "0002_social": m0002,
  "0003_queue_tweaks": m0003,
  "0004_lookup_indexes": m0004,
  "0005_hide_collections": m0005,
  "0006_groups": m0006,
  "0007_media": m0007,
  "0008_federation_policy": m0008,
  "0009_delivery_audit": m0009,
  "0010_group_domains": m0010,
  "0011_oauth": m0011,
  "0012_mastodon_extras": m0012,
  "0013_remote_media": m0013,
  "0014_mastodon_media": m0014,
  "0015_lists_filters": m0015,
  "0016_polls": m0016,
  "0017_home_feed_counters": m0017,
  "0019_reports_domain_blocks": m0019,
  "0020_conversations": m0020,
  "0021_local_actors": m0021,
  "0022_registrations": m0022,
  "0023_instance_admin": m0023,
  "0024_report_groups": m0024,
  "0025_signature_spec_defaults": m0025,
};
