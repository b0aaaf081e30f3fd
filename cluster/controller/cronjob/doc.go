// Package cronjob is the CronJob controller, as Kubernetes'
// pkg/controller/cronjob (v2): at each time of spec.schedule (standard
// cron syntax or a descriptor like @hourly, in spec.timeZone or the
// control plane's local zone) it creates a Job from the jobTemplate named
// <cronjob>-<minutes since the epoch>, honouring suspend,
// startingDeadlineSeconds and concurrencyPolicy (Allow, Forbid,
// Replace); it keeps status.active, lastScheduleTime and
// lastSuccessfulTime, deletes finished Jobs beyond the successful and
// failed history limits, and records Kubernetes' Events. The clock is
// injected, so tests move time instead of waiting for the minute.
//
// schedule.go holds the cron parser (robfig/cron's ParseStandard rules,
// which Kubernetes uses, rewritten small: no new module).
package cronjob
