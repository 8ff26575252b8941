/* phasepinn — domains that are not boxes: constructive solid geometry.
 *
 * A pp_geometry is a closed, bounded region of R^dim (dim 1..3) built from
 * primitives by union, intersection and difference.  Each primitive's
 * boundary carries a named part (or, for rectangles and boxes, one name per
 * side), so that boundary terms can pick where they apply; every boundary
 * point comes with the outward unit normal of the DOMAIN (on a hole's edge it
 * points into the hole).  docs/geometry.md has the whole story.
 *
 * YAML (the node given to pp_geometry_parse is the map holding ONE
 * primitive or operation):
 *
 *   geometry:
 *     difference:
 *       - rectangle: {lo: [0, 0], hi: [1, 1], name: outer}
 *       - disk: {center: [0.5, 0.5], radius: 0.2, name: hole}
 *
 * Primitives (each with an optional `name`, the part its boundary belongs
 * to; default <primitive><k>, k counting that primitive from 1 in order of
 * appearance: rectangle1, disk1, disk2, ...):
 *   interval:  {lo: 0, hi: 1}                      1-D
 *   rectangle: {lo: [x, y], hi: [x, y]}            2-D
 *   box:       {lo: [x, y, z], hi: [x, y, z]}      3-D
 *   disk:      {center: [x, y], radius: r}         2-D
 *   ball:      {center: [x, y, z], radius: r}      3-D
 *   polygon:   {vertices: [[x, y], [x, y], ...]}   2-D, >= 3 vertices, simple
 * Interval, rectangle and box also take `sides:` naming single sides:
 *   1-D left, right; 2-D left, right, bottom, top (x-, x+, y-, y+);
 *   3-D left, right, front, back, bottom, top (x-, x+, y-, y+, z-, z+).
 *   Sides not named belong to the primitive's `name`.
 * Operations, nested freely, each a list of at least 2 shapes:
 *   union: [...]   intersection: [...]   difference: [a, b, ...] (a minus the others)
 *
 * A part name belongs to one primitive (the sides of one rectangle may share
 * a name; two primitives may not).  Where the boundaries of two primitives
 * coincide on a stretch of the domain boundary, that stretch belongs to the
 * primitive that appears first.
 *
 * Points are double precision, row-major (n × dim).  Results depend only on
 * the arguments and the rng state.  A pp_geometry is read-only after
 * pp_geometry_parse: its functions may be called from several threads with
 * their own rngs.
 */
#ifndef PHASEPINN_GEOMETRY_H
#define PHASEPINN_GEOMETRY_H

#include <stddef.h>
#include <phasepinn/config.h>
#include <phasepinn/error.h>
#include <phasepinn/rng.h>
#include <phasepinn/sampling.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PP_GEOMETRY_MAX_DIM 3

/* Rejection sampling refuses a domain that fills less than this fraction
 * of its bounding box (interior), and parts of which less than this
 * fraction of their primitives' boundary lies on the domain boundary. */
#define PP_GEOMETRY_ACCEPTANCE_FLOOR 0.01

/* Interior candidates drawn at least per batch, and the number of draws of
 * each Monte Carlo measure (see pp_geometry_measure). */
#define PP_GEOMETRY_FIRST_BATCH 4096
#define PP_GEOMETRY_MEASURE_POINTS (1u << 18)

typedef struct pp_geometry pp_geometry;

/* Read the CSG tree at @node (a map with one key: a primitive or an
 * operation) for a @dim-dimensional domain.  Every malformed node fails with
 * "file:line:col: ..." (unknown shape or key, wrong vector length, radius
 * <= 0, lo >= hi, a polygon with fewer than 3 or more than 10,000
 * vertices, repeated consecutive vertices, an edge turning back, crossing or
 * touching edges or zero area, a duplicate part name, a shape of
 * the wrong dimension, an intersection whose bounding boxes do not overlap,
 * an empty domain).  The result is always bounded: every primitive is, and
 * a difference lies inside its first shape.  *out is NULL on failure.  The
 * geometry keeps no reference to @node.  Parsing computes the measures,
 * which costs up to a few tens of milliseconds for a Monte Carlo one. */
int pp_geometry_parse(const pp_config *node, int dim, pp_geometry **out, pp_error *err);
void pp_geometry_destroy(pp_geometry *g);

int pp_geometry_dim(const pp_geometry *g);
/* A box containing the domain (lo[dim], hi[dim]): exact for primitives and
 * unions of them; an intersection takes the overlap of its shapes' boxes, a
 * difference its first shape's box. */
void pp_geometry_bounds(const pp_geometry *g, double *lo, double *hi);
/* 1 when @x (dim numbers) lies inside the domain or on its boundary, up to
 * 1e-11 of the domain's size (the larger of the bounding box's diagonal and
 * its largest coordinate): boundary samples count as inside. */
int pp_geometry_contains(const pp_geometry *g, const double *x);

int pp_geometry_part_count(const pp_geometry *g);
/* Name of part @k (0 <= k < count; NULL otherwise), owned by @g. */
const char *pp_geometry_part_name(const pp_geometry *g, int k);
/* Index of the part called @name; -1 if none. */
int pp_geometry_part_index(const pp_geometry *g, const char *name);

/* @n points inside the domain into @x (n × dim): @sampler's unit-cube
 * points (pp_sample_unit) mapped to the bounding box, kept when inside, in
 * batches of at least PP_GEOMETRY_FIRST_BATCH until n are kept.  Fails with
 * PP_ERR_INVALID, naming the fraction, when the domain's measure is less
 * than PP_GEOMETRY_ACCEPTANCE_FLOOR of its bounding box's (checked before
 * drawing, so the answer does not depend on @n or the rng), or should fewer
 * than half that fraction of the draws be kept.  The kept points of an LHS
 * or Sobol batch keep that sampler's even spread only within the domain. */
int pp_geometry_sample_interior(const pp_geometry *g, pp_sampler sampler, size_t n,
				pp_rng *rng, double *x, pp_error *err);

/* @n points on the parts @parts[0..n_parts-1] (NULL: every part) of the
 * domain boundary into @x (n × dim), uniform by count (1-D), arc length
 * (2-D) or area (3-D) over the pieces of those parts that lie on the domain
 * boundary, with the domain's outward unit normal in @normal (n × dim) and
 * the part index in @part (n); @normal and @part may be NULL.  Candidates
 * are drawn on the parts' primitive pieces (rectangle/box faces, the circle
 * or sphere, polygon edges) by their measure and kept when on the domain
 * boundary.  Fails with PP_ERR_INVALID for an unknown part index, for parts
 * that do not lie on the domain boundary, or when their measures say that
 * less than PP_GEOMETRY_ACCEPTANCE_FLOOR of the pieces' measure is on it.  Corners and the
 * places where two primitives cross are a null set: a point closer than
 * about 1e-9 of the bounding box's diagonal to one may take the normal of
 * the side it was drawn on. */
int pp_geometry_sample_boundary(const pp_geometry *g, const int *parts, int n_parts,
				size_t n, pp_rng *rng, double *x, double *normal, int *part,
				pp_error *err);

/* @part -1: the length, area or volume of the domain; otherwise the count
 * (1-D), length (2-D) or area (3-D) of part @part's pieces on the domain
 * boundary.  Exact for a primitive, a union of primitives whose bounding
 * boxes (or disks/balls) are apart, a primitive minus primitives lying
 * strictly inside it and apart from each other, and any 1-D domain;
 * otherwise a Monte Carlo estimate from PP_GEOMETRY_MEASURE_POINTS fixed
 * pseudo-random draws (the same on every call and machine), computed once by
 * pp_geometry_parse.  NaN for a part index out of range. */
double pp_geometry_measure(const pp_geometry *g, int part);
/* The standard error of pp_geometry_measure(g, part): 0 when exact. */
double pp_geometry_measure_error(const pp_geometry *g, int part);

#ifdef __cplusplus
}
#endif
#endif
