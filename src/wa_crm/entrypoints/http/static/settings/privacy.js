// The privacy settings page (admins): opt-out and opt-in words and confirmations, retention
// (PUT privacy), and the kinds of personal data masked for AI models (an assistant setting,
// PUT bot).
import { settingsForm } from "./form.js";

settingsForm({
  sources: [
    {
      path: "/privacy",
      fields: [
        "opt_out_keywords", "opt_out_confirmation", "opt_in_keywords", "opt_in_confirmation",
        "retention_days",
      ],
    },
    { path: "/bot", fields: ["sensitive_data"] },
  ],
});
