/** The blog module through Plein's API (test/modules/titled-content.ts). */
import { titledContentSuite } from "./titled-content.ts";

titledContentSuite({ module: "blog", type: "Article", noun: /A blog post needs a title/ });
