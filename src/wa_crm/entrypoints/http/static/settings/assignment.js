// The assignment settings page (admins): automatic assignment and the first-response target.
import { settingsForm } from "./form.js";

settingsForm({
  sources: [{
    path: "/assignment",
    fields: ["enabled", "max_open_per_agent", "offline_reassign_minutes", "first_response_minutes"],
  }],
});
