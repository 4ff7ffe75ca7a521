/** The content modules Plein ships with; each registers itself with the core here. */
import { blogModule } from "./blog/index.ts";
import { discussionModule } from "./discussion/index.ts";
import { eventModule } from "./event/index.ts";
import { fileModule } from "./file/index.ts";
import { questionModule } from "./question/index.ts";
import { registerModule } from "./registry.ts";
import { wikiModule } from "./wiki/index.ts";

registerModule(discussionModule);
registerModule(blogModule);
registerModule(eventModule);
registerModule(fileModule);
registerModule(wikiModule);
registerModule(questionModule);
