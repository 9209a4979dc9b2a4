/*
 * assign.h
 *		Assignment: the pinned bucket, the per-backend cache of compiled
 *		experiment configurations (config_cache.c) and the decision (assign.c).
 */
#ifndef EXPERIMENTS_ASSIGN_H
#define EXPERIMENTS_ASSIGN_H

#include "postgres.h"

#include "audience.h"
#include "core.h"
#include "absmartly.h"
#include "growthbook.h"
#include "utils/timestamp.h"

/* Buckets are basis points: integers in [0, BUCKET_SPACE). */
#define BUCKET_SPACE 10000

/* bucket.c: the pinned hash of assignment version 1 (README, "Assignment"); hash.h inlines it. */
extern uint64 PeriodSeed(uint64 variant_seed, int64 period);

/* config_cache.c: compiled experiment configurations, per backend. */
typedef enum ExperimentState
{
	STATE_DRAFT,
	STATE_RUNNING,
	STATE_PAUSED,
	STATE_STOPPED
} ExperimentState;

typedef struct VariantConfig
{
	int64		id;
	int32		ordinal;
	int32		upper;			/* end (exclusive) of its cumulative range */
	text	   *key;
} VariantConfig;

typedef struct HoldoutConfig
{
	uint64		seed;
	int32		allocation_bp;
} HoldoutConfig;

typedef struct OverrideConfig
{
	text	   *unit;
	int32		ordinal;
	bool		custom;
} OverrideConfig;

/* Longest experiment key: 40 characters of up to 4 bytes, and a NUL. */
#define EXPERIMENT_KEY_BYTES 161

typedef struct ExperimentCacheKey
{
	pg_uuid_t	tenant;
	char		key[EXPERIMENT_KEY_BYTES];
} ExperimentCacheKey;

typedef struct AssignmentRow AssignmentRow;

/* Variants whose ranges are kept in one array, compared all at once. */
#define FIRST_VARIANTS 8

typedef struct ExperimentConfig
{
	ExperimentCacheKey hash_key;
	uint64		stamp;			/* unique per load: the same stamp, the same configuration */
	MemoryContext context;		/* where it and what is derived from it live: its tenant's */
	struct ExperimentConfig *next_of_tenant;	/* the other cached experiments of its tenant */
	bool		exists;
	int64		id;
	text	   *key;
	ExperimentState state;
	bool		has_starts_at;
	bool		has_ends_at;
	bool		has_anchor;
	TimestampTz starts_at;
	TimestampTz ends_at;
	TimestampTz anchor;			/* origin of reset periods */
	bool		has_started;
	TimestampTz started;		/* greatest(started_at, starts_at): no unit was exposed before */
	char	   *unit_type;
	int64		reset_usecs;	/* 0 for reset interval full */
	int32		traffic_bp;
	uint64		traffic_seed;
	uint64		variant_seed;
	AudienceNode *audience;		/* NULL: everyone */
	bool		audience_strict;
	int32		full_on_ordinal;	/* -1: none */
	bool		has_layer;
	uint64		layer_seed;
	int32		layer_lo;
	int32		layer_hi;
	int			nholdouts;
	HoldoutConfig *holdouts;
	int			nvariants;
	VariantConfig *variants;
	int32		first_uppers[FIRST_VARIANTS];	/* their upper ends, PG_INT32_MAX-padded */
	int			noverrides;
	OverrideConfig *overrides;	/* sorted by the bytes of unit */
	bool		has_enrolments;
	bool		simple;			/* no override, audience, layer, holdout, reset or full-on */
	bool		plain;			/* simple, and no enrolment */
	char	   *gate;
	GrowthBookConfig *growthbook;	/* hashing growthbook; NULL: native (xxh3) */
	AbsmartlyConfig *absmartly;	/* hashing absmartly; NULL: native (xxh3) */
	AssignmentRow **rows;		/* assign.c's result rows by decision, made on first use */
} ExperimentConfig;

/* The orders LookupRunningExperiments() gives the running experiments in. */
typedef enum RunningOrder
{
	RUNNING_BY_KEY,				/* assign_all() */
	RUNNING_BY_ID				/* allocate: the order of its document's keys */
} RunningOrder;

extern void ConfigCacheInit(void);
extern uint64 ConfigCacheGeneration(void);
extern void WithCatalog(void (*work) (void *), void *arg);
extern ExperimentConfig *LookupExperiment(const pg_uuid_t *tenant, text *key);
extern ExperimentConfig *LookupExperimentByName(const pg_uuid_t *tenant, const char *key, int len);
extern ExperimentConfig *LookupExperimentById(const pg_uuid_t *tenant, int64 id);
extern ExperimentConfig **LookupRunningExperiments(const pg_uuid_t *tenant, RunningOrder order,
												   int *count);
extern const VariantConfig *VariantByOrdinal(const ExperimentConfig *config, int32 ordinal);

/* growthbook.c: the error of a malformed setting of a compatible mode */
extern void HashingOptionsError(const char *mode, const char *message, const char *detail) pg_attribute_noreturn();

/* enrolments.c: the enrolments of experiments that have some. */
typedef struct EnrolmentFilter EnrolmentFilter;

extern bool LookupEnrolment(const ExperimentConfig *config, text *unit, int64 period, int32 *ordinal);
extern EnrolmentFilter *BuildEnrolmentFilter(const ExperimentConfig *config, int64 period,
											 uint64 max_rows, MemoryContext context);
extern bool EnrolmentFilterHolds(const EnrolmentFilter *filter, const ExperimentConfig *config,
								 int64 period);
extern bool FilterEnrolment(const EnrolmentFilter *filter, uint64 hash, const char *unit, int len,
							int32 *ordinal);

/* assign.c */
extern int64 ResetPeriod(const ExperimentConfig *config, TimestampTz now);
extern const VariantConfig *AssignedVariant(const ExperimentConfig *config, text *unit,
											Datum attributes, TimestampTz now);

#endif							/* EXPERIMENTS_ASSIGN_H */
