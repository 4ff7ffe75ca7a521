/** The discussion module through Plein's API (test/modules/titled-content.ts). */
import { titledContentSuite } from "./titled-content.ts";

titledContentSuite({ module: "discussion", type: "Page", noun: /A discussion needs a title/ });
