# Stars moved to scheduling.EventTypeStar (shared by the dashboard, the API and the browser extension).
