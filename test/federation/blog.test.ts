/** Blog posts across four real instances (test/federation/titled-content.ts). */
import { titledContentAcrossServers } from "./titled-content.ts";

titledContentAcrossServers("blog", "Article");
