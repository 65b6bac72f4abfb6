// The page kit of api.js (boot data, strings, building elements, the API client), as imports for
// the inbox's modules. api.js stays a classic script because the other dashboard pages' scripts
// read it as window.WaCrm; the page loads it before its first module, so it is set up here.
export const {
  boot, T, $, t, h, api, ApiError, errorText, fieldLabel,
  formatBytes, formatDate, formatDateTime, formatDuration, formatMoney, formatNumber,
} = window.WaCrm;
