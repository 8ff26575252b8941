/* phasepinn — constructive solid geometry (see include/phasepinn/geometry.h
 * and docs/geometry.md).
 *
 * The tree of shapes answers "is x in the closed domain?".  Every primitive
 * also contributes pieces of boundary (box faces, a circle or sphere,
 * polygon edges), each with its own parameterisation, measure and outward
 * normal.  A point drawn on a piece is on the domain's boundary when the
 * domain holds exactly one of x ± eps·n; the one that is inside tells which
 * way the domain's outward normal points.  Where pieces of two primitives
 * coincide, the point belongs to the piece listed first, so that no stretch
 * of boundary is counted twice.
 */
#include <phasepinn/geometry.h>

#include "core/config_doc.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIM PP_GEOMETRY_MAX_DIM
#define FLOOR PP_GEOMETRY_ACCEPTANCE_FLOOR
/* Offsets relative to the domain's scale: across the boundary (eps) and the
 * distance still counted as on a piece or polygon edge (tol). */
#define EPS_REL 1e-9
#define TOL_REL 1e-11
/* Polygons are checked for crossing edges pair by pair: at most this many
 * vertices (a second or so for the check). */
#define MAX_VERTICES 10000
/* Largest batch of interior candidates drawn at once. */
#define MAX_BATCH ((size_t)1 << 20)
/* The fixed stream of the Monte Carlo measures ("geometry" in ASCII). */
#define MEASURE_SEED 0x67656f6d65747279ull

typedef enum shape_kind {
	SHAPE_INTERVAL, SHAPE_RECTANGLE, SHAPE_BOX, SHAPE_DISK, SHAPE_BALL, SHAPE_POLYGON,
	SHAPE_UNION, SHAPE_INTERSECTION, SHAPE_DIFFERENCE, SHAPE_KINDS
} shape_kind;

static const char *const shape_names[SHAPE_KINDS] = {
	"interval", "rectangle", "box", "disk", "ball", "polygon",
	"union", "intersection", "difference",
};
/* The dimension of each primitive; 0 for the operations (any). */
static const int shape_dims[SHAPE_KINDS] = {1, 2, 3, 2, 3, 2, 0, 0, 0};

/* Side names of intervals, rectangles and boxes by dimension, face 2·axis + (0: lo, 1: hi). */
static const char *const side_names[MAX_DIM][2 * MAX_DIM] = {
	{"left", "right"},
	{"left", "right", "bottom", "top"},
	{"left", "right", "front", "back", "bottom", "top"},
};

typedef struct shape {
	shape_kind kind;
	const pp_config *node;     /* the shape's value, for messages */
	double lo[MAX_DIM], hi[MAX_DIM];  /* bounding box; the box itself for boxes */
	double center[MAX_DIM], radius;   /* disk, ball */
	double *vertices;          /* polygon: n_vertices × 2, counter-clockwise */
	size_t n_vertices;
	struct shape **children;   /* operations */
	size_t n_children;
} shape;

typedef enum piece_kind { PIECE_FACE, PIECE_SPHERE, PIECE_EDGE } piece_kind;

/* A stretch of one primitive's boundary, sampled by its own parameterisation. */
typedef struct piece {
	piece_kind kind;
	const shape *prim;
	int axis, side;             /* face: x[axis] = side ? hi : lo */
	double a[2], b[2];          /* edge: from a to b */
	double normal[MAX_DIM];     /* face, edge: the primitive's outward normal */
	double measure;             /* count (1-D), length (2-D) or area (3-D) */
	int part;
} piece;

typedef struct part {
	char *name;
	const shape *owner;         /* the one primitive the name belongs to */
	double measure, error;
} part;

struct pp_geometry {
	int dim;
	shape *root;
	double lo[MAX_DIM], hi[MAX_DIM];
	double eps, tol;
	piece *pieces;
	int n_pieces, cap_pieces;
	part *parts;
	int n_parts, cap_parts;
	int counters[SHAPE_KINDS];  /* primitives seen so far, for default names */
	double volume, volume_error;
};

static int is_box_kind(shape_kind k)
{
	return k == SHAPE_INTERVAL || k == SHAPE_RECTANGLE || k == SHAPE_BOX;
}

static int is_round_kind(shape_kind k)
{
	return k == SHAPE_DISK || k == SHAPE_BALL;
}

static int is_primitive(shape_kind k)
{
	return k < SHAPE_UNION;
}

static int nomem(pp_error *err)
{
	return pp_error_set(err, PP_ERR_NOMEM, "out of memory reading the geometry");
}

/* ---- plane geometry ----------------------------------------------------- */

/* (b − a) × (c − a): > 0 when a, b, c turn counter-clockwise. */
static double orient(const double *a, const double *b, const double *c)
{
	return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

/* c, collinear with a and b, lies between them. */
static int within(const double *a, const double *b, const double *c)
{
	return fmin(a[0], b[0]) <= c[0] && c[0] <= fmax(a[0], b[0]) &&
	       fmin(a[1], b[1]) <= c[1] && c[1] <= fmax(a[1], b[1]);
}

static int opposite(double u, double v)
{
	return (u > 0 && v < 0) || (u < 0 && v > 0);
}

/* Segments ab and cd share a point (crossing or touching). */
static int segments_meet(const double *a, const double *b, const double *c, const double *d)
{
	double d1 = orient(c, d, a), d2 = orient(c, d, b);
	double d3 = orient(a, b, c), d4 = orient(a, b, d);

	if (opposite(d1, d2) && opposite(d3, d4))
		return 1;
	return (d1 == 0 && within(c, d, a)) || (d2 == 0 && within(c, d, b)) ||
	       (d3 == 0 && within(a, b, c)) || (d4 == 0 && within(a, b, d));
}

static double segment_distance(const double *a, const double *b, const double *x)
{
	double dx = b[0] - a[0], dy = b[1] - a[1];
	double t = ((x[0] - a[0]) * dx + (x[1] - a[1]) * dy) / (dx * dx + dy * dy);

	t = t < 0 ? 0 : t > 1 ? 1 : t;
	return hypot(x[0] - a[0] - t * dx, x[1] - a[1] - t * dy);
}

static const double *vertex(const shape *s, size_t k)
{
	return s->vertices + 2 * (k % s->n_vertices);
}

/* Twice the signed area (> 0 counter-clockwise), by the shoelace formula. */
static double polygon_signed_area2(const shape *s)
{
	double sum = 0;

	for (size_t k = 0; k < s->n_vertices; k++) {
		const double *p = vertex(s, k), *q = vertex(s, k + 1);
		sum += p[0] * q[1] - q[0] * p[1];
	}
	return sum;
}

static int polygon_on_edge(const shape *s, const double *x, double tol)
{
	for (size_t k = 0; k < s->n_vertices; k++)
		if (segment_distance(vertex(s, k), vertex(s, k + 1), x) <= tol)
			return 1;
	return 0;
}

/* Crossing number of a ray towards +x (points on an edge: either answer). */
static int polygon_crossing(const shape *s, const double *x)
{
	int inside = 0;

	for (size_t k = 0; k < s->n_vertices; k++) {
		const double *p = vertex(s, k), *q = vertex(s, k + 1);
		if ((p[1] > x[1]) != (q[1] > x[1]) &&
		    x[0] < p[0] + (q[0] - p[0]) * (x[1] - p[1]) / (q[1] - p[1]))
			inside = !inside;
	}
	return inside;
}

/* ---- membership --------------------------------------------------------- */

/* @x in the closure (@closed) or the interior (!@closed) of @s, up to tol:
 * a point within tol of a primitive's boundary is in its closure and not in
 * its interior, so that points drawn on the boundary count as inside.
 * Written so that NaN coordinates are outside. */
static int in_shape(const pp_geometry *g, const shape *s, const double *x, int closed)
{
	double r2 = 0, t = closed ? g->tol : -g->tol, r;

	switch (s->kind) {
	case SHAPE_INTERVAL:
	case SHAPE_RECTANGLE:
	case SHAPE_BOX:
		for (int d = 0; d < g->dim; d++)
			if (!(x[d] >= s->lo[d] - t && x[d] <= s->hi[d] + t))
				return 0;
		return 1;
	case SHAPE_DISK:
	case SHAPE_BALL:
		for (int d = 0; d < g->dim; d++)
			r2 += (x[d] - s->center[d]) * (x[d] - s->center[d]);
		r = s->radius + t;
		return r2 <= r * r;
	case SHAPE_POLYGON:
		if (!(isfinite(x[0]) && isfinite(x[1])))
			return 0;
		if (polygon_on_edge(s, x, g->tol))
			return closed;
		return polygon_crossing(s, x);
	case SHAPE_UNION:
		for (size_t i = 0; i < s->n_children; i++)
			if (in_shape(g, s->children[i], x, closed))
				return 1;
		return 0;
	case SHAPE_INTERSECTION:
		for (size_t i = 0; i < s->n_children; i++)
			if (!in_shape(g, s->children[i], x, closed))
				return 0;
		return 1;
	case SHAPE_DIFFERENCE:
		/* closure of A \ B = closed A minus open B, and the other way round */
		if (!in_shape(g, s->children[0], x, closed))
			return 0;
		for (size_t i = 1; i < s->n_children; i++)
			if (in_shape(g, s->children[i], x, !closed))
				return 0;
		return 1;
	case SHAPE_KINDS:
		break;
	}
	return 0;
}

int pp_geometry_contains(const pp_geometry *g, const double *x)
{
	return in_shape(g, g->root, x, 1);
}

/* ---- parts and pieces --------------------------------------------------- */

static int plain_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!(*s == '_' || *s == '-' || *s == '.' || (*s >= '0' && *s <= '9') ||
		      (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return 0;
	return 1;
}

/* The part called @name for the primitive @owner (created when new) into
 * *index; a name another primitive holds is an error at @where. */
static int add_part(pp_geometry *g, const char *name, const shape *owner,
		    const pp_config *where, int *index, pp_error *err)
{
	part *grown;

	if (!plain_name(name))
		return pp_config_error(err, PP_ERR_CONFIG, where,
				       "part name '%s' must be letters, digits, '_', '-' or '.'",
				       name);
	for (int k = 0; k < g->n_parts; k++) {
		if (strcmp(g->parts[k].name, name) != 0)
			continue;
		if (g->parts[k].owner != owner)
			return pp_config_error(err, PP_ERR_CONFIG, where,
					       "duplicate part name '%s': already the boundary of "
					       "the %s at line %d", name,
					       shape_names[g->parts[k].owner->kind],
					       pp_config_line(g->parts[k].owner->node));
		*index = k;
		return PP_OK;
	}
	if (g->n_parts == g->cap_parts) {
		int cap = g->cap_parts ? 2 * g->cap_parts : 8;
		grown = realloc(g->parts, (size_t)cap * sizeof *grown);
		if (!grown)
			return nomem(err);
		g->parts = grown;
		g->cap_parts = cap;
	}
	g->parts[g->n_parts] = (part){.name = strdup(name), .owner = owner};
	if (!g->parts[g->n_parts].name)
		return nomem(err);
	*index = g->n_parts++;
	return PP_OK;
}

static piece *add_piece(pp_geometry *g, piece_kind kind, const shape *prim, int part_index)
{
	piece *grown;

	if (g->n_pieces == g->cap_pieces) {
		int cap = g->cap_pieces ? 2 * g->cap_pieces : 16;
		grown = realloc(g->pieces, (size_t)cap * sizeof *grown);
		if (!grown)
			return NULL;
		g->pieces = grown;
		g->cap_pieces = cap;
	}
	g->pieces[g->n_pieces] = (piece){.kind = kind, .prim = prim, .part = part_index};
	return &g->pieces[g->n_pieces++];
}

/* The 2·dim faces of a box-like primitive, face f on part parts[f]. */
static int add_faces(pp_geometry *g, const shape *s, const int *parts, pp_error *err)
{
	for (int f = 0; f < 2 * g->dim; f++) {
		piece *p = add_piece(g, PIECE_FACE, s, parts[f]);
		if (!p)
			return nomem(err);
		p->axis = f / 2;
		p->side = f % 2;
		p->normal[p->axis] = p->side ? 1 : -1;
		p->measure = 1;  /* a point's count in 1-D */
		for (int d = 0; d < g->dim; d++)
			if (d != p->axis)
				p->measure *= s->hi[d] - s->lo[d];
	}
	return PP_OK;
}

static int add_round_or_edges(pp_geometry *g, const shape *s, int part_index, pp_error *err)
{
	piece *p;

	if (is_round_kind(s->kind)) {
		if (!(p = add_piece(g, PIECE_SPHERE, s, part_index)))
			return nomem(err);
		p->measure = g->dim == 2 ? 2 * M_PI * s->radius
					 : 4 * M_PI * s->radius * s->radius;
		return PP_OK;
	}
	for (size_t k = 0; k < s->n_vertices; k++) {
		const double *a = vertex(s, k), *b = vertex(s, k + 1);
		if (!(p = add_piece(g, PIECE_EDGE, s, part_index)))
			return nomem(err);
		memcpy(p->a, a, sizeof p->a);
		memcpy(p->b, b, sizeof p->b);
		p->measure = hypot(b[0] - a[0], b[1] - a[1]);
		/* counter-clockwise: the outside is on the right of a → b */
		p->normal[0] = (b[1] - a[1]) / p->measure;
		p->normal[1] = -(b[0] - a[0]) / p->measure;
	}
	return PP_OK;
}

/* The node under @key of @map if the key is there.  An absent key is not
 * asked for, so that the run's config.yaml does not list it as a default
 * left untaken. */
static const pp_config *present(const pp_config *map, const char *key)
{
	for (size_t i = 0; i < pp_config_size(map); i++)
		if (strcmp(pp_config_key_at(map, i), key) == 0)
			return pp_config_get(map, key);
	return NULL;
}

/* `sides: {left: inlet, ...}` of a box-like primitive into names[face]; a
 * side not named takes @name (recorded as its default). */
static int read_sides(pp_geometry *g, const shape *s, const pp_config *body, const char *name,
		      const char **names, pp_error *err)
{
	const pp_config *sides = present(body, "sides");
	int rc;

	for (int f = 0; f < 2 * g->dim; f++)
		names[f] = name;
	if (!sides)
		return PP_OK;
	if (pp_config_node_type(sides) != PP_CONFIG_MAP)
		return pp_config_error(err, PP_ERR_CONFIG, sides,
				       "sides: expected a map of side names, e.g. "
				       "{%s: inlet, %s: outlet}", side_names[g->dim - 1][0],
				       side_names[g->dim - 1][1]);
	for (int f = 0; f < 2 * g->dim; f++) {
		rc = pp_config_string(sides, side_names[g->dim - 1][f], name, &names[f], err);
		if (rc)
			return rc;
	}
	return pp_config_check_unknown(sides, s->kind == SHAPE_INTERVAL ? "interval sides" :
				       s->kind == SHAPE_RECTANGLE ? "rectangle sides" : "box sides",
				       err);
}

/* Where a part name was given, for messages: the side's value, the name's,
 * or the primitive. */
static const pp_config *name_node(const pp_geometry *g, const pp_config *body, int face)
{
	const pp_config *at = NULL;

	if (face >= 0)
		at = pp_config_get(present(body, "sides"), side_names[g->dim - 1][face]);
	if (!at)
		at = present(body, "name");
	return at ? at : body;
}

/* The parts and pieces of primitive @s: its `name` (default <kind><k>) for
 * its whole boundary or, on boxes, for the sides `sides:` does not name.
 * The order of the parts does not depend on whether a side took the name by
 * default or by being given it: the name first, then the other side names
 * in the order of the faces. */
static int add_boundary(pp_geometry *g, const shape *s, const pp_config *body, pp_error *err)
{
	char def[32];
	const char *name, *sides[2 * MAX_DIM];
	int own = -1, parts[2 * MAX_DIM], rc, faces = is_box_kind(s->kind) ? 2 * g->dim : 0;
	int whole = !faces;

	snprintf(def, sizeof def, "%s%d", shape_names[s->kind], ++g->counters[s->kind]);
	rc = pp_config_string(body, "name", def, &name, err);
	if (!rc && faces)
		rc = read_sides(g, s, body, name, sides, err);
	if (rc)
		return rc;
	for (int f = 0; f < faces; f++)
		whole |= strcmp(sides[f], name) == 0;
	if (whole) {
		rc = add_part(g, name, s, name_node(g, body, -1), &own, err);
		if (rc)
			return rc;
	}
	if (!faces)
		return add_round_or_edges(g, s, own, err);
	for (int f = 0; f < faces; f++) {
		parts[f] = own;
		if (strcmp(sides[f], name) == 0)
			continue;
		rc = add_part(g, sides[f], s, name_node(g, body, f), &parts[f], err);
		if (rc)
			return rc;
	}
	return add_faces(g, s, parts, err);
}

/* ---- reading the primitives --------------------------------------------- */

static const double zeros[MAX_DIM] = {0, 0, 0};

/* The required list @key of @dim numbers. */
static int read_vector(const pp_config *body, const char *key, int dim, double *v,
		       pp_error *err)
{
	if (!pp_config_require(body, key, err))
		return PP_ERR_CONFIG;
	return pp_config_double_list(body, key, (size_t)dim, zeros, -DBL_MAX, DBL_MAX, v, err);
}

/* The required number @key. */
static int read_number(const pp_config *body, const char *key, double *v, pp_error *err)
{
	if (!pp_config_require(body, key, err))
		return PP_ERR_CONFIG;
	return pp_config_double(body, key, 0, -DBL_MAX, DBL_MAX, v, err);
}

static int read_box(const pp_geometry *g, shape *s, const pp_config *body, pp_error *err)
{
	int rc;

	if (s->kind == SHAPE_INTERVAL) {
		rc = read_number(body, "lo", &s->lo[0], err);
		if (!rc)
			rc = read_number(body, "hi", &s->hi[0], err);
	} else {
		rc = read_vector(body, "lo", g->dim, s->lo, err);
		if (!rc)
			rc = read_vector(body, "hi", g->dim, s->hi, err);
	}
	if (rc)
		return rc;
	for (int d = 0; d < g->dim; d++)
		if (!(s->lo[d] < s->hi[d]))
			return pp_config_error(err, PP_ERR_CONFIG, pp_config_get(body, "hi"),
					       "%s: lo[%d] = %g must be below hi[%d] = %g",
					       shape_names[s->kind], d, s->lo[d], d, s->hi[d]);
	return PP_OK;
}

static int read_round(const pp_geometry *g, shape *s, const pp_config *body, pp_error *err)
{
	int rc = read_vector(body, "center", g->dim, s->center, err);

	if (!rc)
		rc = read_number(body, "radius", &s->radius, err);
	if (rc)
		return rc;
	if (!(s->radius > 0))
		return pp_config_error(err, PP_ERR_CONFIG, pp_config_get(body, "radius"),
				       "%s: radius must be positive, found %g",
				       shape_names[s->kind], s->radius);
	for (int d = 0; d < g->dim; d++) {
		s->lo[d] = s->center[d] - s->radius;
		s->hi[d] = s->center[d] + s->radius;
	}
	return PP_OK;
}

/* Edges k and k+1 fold back onto each other. */
static int folds_back(const shape *s, size_t k)
{
	const double *a = vertex(s, k), *b = vertex(s, k + 1), *c = vertex(s, k + 2);

	return orient(a, b, c) == 0 &&
	       (b[0] - a[0]) * (c[0] - b[0]) + (b[1] - a[1]) * (c[1] - b[1]) < 0;
}

/* A simple polygon: no repeated consecutive vertex, no edge meeting another
 * one except its neighbours at their shared vertex, non-zero area. */
static int check_polygon(const shape *s, const pp_config *list, pp_error *err)
{
	size_t n = s->n_vertices;

	for (size_t k = 0; k < n; k++) {
		const double *a = vertex(s, k), *b = vertex(s, k + 1);
		if (a[0] == b[0] && a[1] == b[1])
			return pp_config_error(err, PP_ERR_CONFIG, list,
					       "polygon: vertices %zu and %zu coincide",
					       k + 1, (k + 1) % n + 1);
	}
	for (size_t i = 0; i < n; i++) {
		if (folds_back(s, i))
			return pp_config_error(err, PP_ERR_CONFIG, list,
					       "polygon: edges %zu and %zu overlap (it turns back "
					       "at vertex %zu)", i + 1, (i + 1) % n + 1, (i + 1) % n + 1);
		for (size_t j = i + 2; j < n; j++) {
			if (i == 0 && j == n - 1)
				continue;  /* neighbours through vertex 1 */
			if (segments_meet(vertex(s, i), vertex(s, i + 1), vertex(s, j),
					  vertex(s, j + 1)))
				return pp_config_error(err, PP_ERR_CONFIG, list,
						       "polygon: edges %zu and %zu meet (edge k "
						       "joins vertices k and k+1); the polygon "
						       "must not intersect itself", i + 1, j + 1);
		}
	}
	if (polygon_signed_area2(s) == 0)
		return pp_config_error(err, PP_ERR_CONFIG, list, "polygon: zero area");
	return PP_OK;
}

static int read_vertex(const pp_config *item, size_t k, double *v, pp_error *err)
{
	int rc;

	if (pp_config_node_type(item) != PP_CONFIG_SEQUENCE || pp_config_size(item) != 2)
		return pp_config_error(err, PP_ERR_CONFIG, item,
				       "polygon: vertex %zu must be a list [x, y]", k + 1);
	for (size_t d = 0; d < 2; d++) {
		rc = pp_config_node_double(pp_config_at(item, d), &v[d], err);
		if (rc)
			return rc;
	}
	return PP_OK;
}

/* Reverse the vertex order (to counter-clockwise). */
static void reverse_vertices(shape *s)
{
	for (size_t i = 0, j = s->n_vertices - 1; i < j; i++, j--)
		for (int d = 0; d < 2; d++) {
			double t = s->vertices[2 * i + d];
			s->vertices[2 * i + d] = s->vertices[2 * j + d];
			s->vertices[2 * j + d] = t;
		}
}

static int read_polygon(shape *s, const pp_config *body, pp_error *err)
{
	const pp_config *list = pp_config_require(body, "vertices", err);
	size_t n;
	int rc;

	if (!list)
		return PP_ERR_CONFIG;
	n = pp_config_size(list);
	if (pp_config_node_type(list) != PP_CONFIG_SEQUENCE || n < 3 || n > MAX_VERTICES)
		return pp_config_error(err, PP_ERR_CONFIG, list,
				       "polygon: vertices must be a list of 3 to %d points "
				       "[x, y], found %zu", MAX_VERTICES, n);
	if (!(s->vertices = malloc(2 * n * sizeof *s->vertices)))
		return nomem(err);
	s->n_vertices = n;
	for (size_t k = 0; k < n; k++) {
		rc = read_vertex(pp_config_at(list, k), k, s->vertices + 2 * k, err);
		if (rc)
			return rc;
	}
	rc = check_polygon(s, list, err);
	if (rc)
		return rc;
	if (polygon_signed_area2(s) < 0)
		reverse_vertices(s);
	for (int d = 0; d < 2; d++) {
		s->lo[d] = s->hi[d] = s->vertices[d];
		for (size_t k = 1; k < n; k++) {
			s->lo[d] = fmin(s->lo[d], s->vertices[2 * k + d]);
			s->hi[d] = fmax(s->hi[d], s->vertices[2 * k + d]);
		}
	}
	return PP_OK;
}

/* Refuse a key of @body the primitive does not have (the reader's own
 * check would too, later and without `sides`, which is never asked for
 * when absent). */
static int check_keys(const shape *s, const pp_config *body, pp_error *err)
{
	static const char *const box_keys[] = {"lo", "hi", "name", "sides", NULL};
	static const char *const round_keys[] = {"center", "radius", "name", NULL};
	static const char *const polygon_keys[] = {"vertices", "name", NULL};
	const char *const *known = is_box_kind(s->kind) ? box_keys :
				   is_round_kind(s->kind) ? round_keys : polygon_keys;
	char list[64] = "";

	for (size_t i = 0; i < pp_config_size(body); i++) {
		const char *key = pp_config_key_at(body, i);
		size_t k;
		for (k = 0; known[k] && strcmp(known[k], key) != 0; k++)
			;
		if (known[k])
			continue;
		for (k = 0; known[k]; k++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
				 k ? ", " : "", known[k]);
		return pp_config_error_at_key(err, PP_ERR_CONFIG, body, key,
					      "unknown key '%s' in %s; known keys: %s", key,
					      shape_names[s->kind], list);
	}
	return PP_OK;
}

static int read_primitive(pp_geometry *g, shape *s, const pp_config *body, pp_error *err)
{
	int rc;

	if (pp_config_node_type(body) != PP_CONFIG_MAP)
		return pp_config_error(err, PP_ERR_CONFIG, body,
				       "%s: expected a map of its keys, e.g. %s",
				       shape_names[s->kind],
				       is_box_kind(s->kind) ? "{lo: [0, 0], hi: [1, 1]}" :
				       is_round_kind(s->kind) ? "{center: [0, 0], radius: 1}" :
				       "{vertices: [[0, 0], [1, 0], [0, 1]]}");
	if (is_box_kind(s->kind))
		rc = read_box(g, s, body, err);
	else if (is_round_kind(s->kind))
		rc = read_round(g, s, body, err);
	else
		rc = read_polygon(s, body, err);
	if (!rc)
		rc = add_boundary(g, s, body, err);
	if (!rc)
		rc = check_keys(s, body, err);
	return rc;
}

/* ---- reading the tree --------------------------------------------------- */

static int parse_shape(pp_geometry *g, const pp_config *node, shape **out, pp_error *err);

static void shape_free(shape *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_children; i++)
		shape_free(s->children[i]);
	free(s->children);
	free(s->vertices);
	free(s);
}

/* The bounding box of an operation from its children's. */
static int operation_bounds(const pp_geometry *g, shape *s, pp_error *err)
{
	memcpy(s->lo, s->children[0]->lo, sizeof s->lo);
	memcpy(s->hi, s->children[0]->hi, sizeof s->hi);
	if (s->kind == SHAPE_DIFFERENCE)
		return PP_OK;
	for (size_t i = 1; i < s->n_children; i++) {
		for (int d = 0; d < g->dim; d++) {
			const shape *c = s->children[i];
			int hull = s->kind == SHAPE_UNION;
			s->lo[d] = hull ? fmin(s->lo[d], c->lo[d]) : fmax(s->lo[d], c->lo[d]);
			s->hi[d] = hull ? fmax(s->hi[d], c->hi[d]) : fmin(s->hi[d], c->hi[d]);
		}
	}
	for (int d = 0; d < g->dim; d++)
		if (!(s->lo[d] < s->hi[d]))
			return pp_config_error(err, PP_ERR_CONFIG, s->node,
					       "intersection is empty: the bounding boxes of its "
					       "shapes do not overlap");
	return PP_OK;
}

static int read_operation(pp_geometry *g, shape *s, const pp_config *list, pp_error *err)
{
	size_t n = pp_config_size(list);
	int rc;

	if (pp_config_node_type(list) != PP_CONFIG_SEQUENCE || n < 2)
		return pp_config_error(err, PP_ERR_CONFIG, list,
				       "%s: expected a list of at least 2 shapes, found %s",
				       shape_names[s->kind],
				       pp_config_node_type(list) == PP_CONFIG_SEQUENCE ?
				       (n ? "1" : "none") : "no list");
	if (!(s->children = calloc(n, sizeof *s->children)))
		return nomem(err);
	for (size_t i = 0; i < n; i++) {
		rc = parse_shape(g, pp_config_at(list, i), &s->children[i], err);
		if (rc)
			return rc;
		s->n_children++;
	}
	return operation_bounds(g, s, err);
}

static int shape_kind_of(const pp_config *node, const char *key, int dim, pp_error *err)
{
	for (int k = 0; k < SHAPE_KINDS; k++) {
		if (strcmp(key, shape_names[k]) != 0)
			continue;
		if (shape_dims[k] && shape_dims[k] != dim)
			return pp_config_error_at_key(err, PP_ERR_CONFIG, node, key,
						      "%s is a %d-D shape; this domain is %d-D "
						      "(%s)", key, shape_dims[k], dim,
						      dim == 1 ? "use interval" :
						      dim == 2 ? "use rectangle, disk or polygon" :
						      "use box or ball");
		return k;
	}
	return pp_config_error_at_key(err, PP_ERR_CONFIG, node, key,
				      "unknown shape '%s'; choose one of: interval, rectangle, "
				      "box, disk, ball, polygon, union, intersection, difference",
				      key);
}

static int parse_shape(pp_geometry *g, const pp_config *node, shape **out, pp_error *err)
{
	const char *key;
	shape *s;
	int kind, rc;

	*out = NULL;
	if (pp_config_node_type(node) != PP_CONFIG_MAP || pp_config_size(node) != 1)
		return pp_config_error(err, PP_ERR_CONFIG, node,
				       "a shape is a map with one key, a primitive or an "
				       "operation, e.g. `rectangle: {lo: [0, 0], hi: [1, 1]}` "
				       "or `union: [...]`");
	key = pp_config_key_at(node, 0);
	kind = shape_kind_of(node, key, g->dim, err);
	if (kind < 0)
		return kind;
	if (!(s = calloc(1, sizeof *s)))
		return nomem(err);
	s->kind = (shape_kind)kind;
	s->node = pp_config_get(node, key);
	if (is_primitive(s->kind))
		rc = read_primitive(g, s, s->node, err);
	else
		rc = read_operation(g, s, s->node, err);
	if (rc) {
		shape_free(s);
		return rc;
	}
	*out = s;
	return PP_OK;
}

/* ---- exact measures ----------------------------------------------------- */

static double primitive_volume(const pp_geometry *g, const shape *s)
{
	double v = 1;

	if (is_round_kind(s->kind))
		return g->dim == 2 ? M_PI * s->radius * s->radius
				   : 4.0 / 3.0 * M_PI * s->radius * s->radius * s->radius;
	if (s->kind == SHAPE_POLYGON)
		return 0.5 * fabs(polygon_signed_area2(s));
	for (int d = 0; d < g->dim; d++)
		v *= s->hi[d] - s->lo[d];
	return v;
}

static double squared_distance_to_box(const pp_geometry *g, const shape *box, const double *x)
{
	double sum = 0;

	for (int d = 0; d < g->dim; d++) {
		double e = fmax(fmax(box->lo[d] - x[d], x[d] - box->hi[d]), 0);
		sum += e * e;
	}
	return sum;
}

static double center_distance(const pp_geometry *g, const shape *a, const shape *b)
{
	double sum = 0;

	for (int d = 0; d < g->dim; d++)
		sum += (a->center[d] - b->center[d]) * (a->center[d] - b->center[d]);
	return sqrt(sum);
}

/* Primitives @a and @b certainly have no point in common (conservative). */
static int apart(const pp_geometry *g, const shape *a, const shape *b)
{
	for (int d = 0; d < g->dim; d++)
		if (a->hi[d] < b->lo[d] || b->hi[d] < a->lo[d])
			return 1;
	if (is_round_kind(a->kind) && is_round_kind(b->kind))
		return center_distance(g, a, b) > a->radius + b->radius;
	if (is_round_kind(a->kind) && is_box_kind(b->kind))
		return squared_distance_to_box(g, b, a->center) > a->radius * a->radius;
	if (is_box_kind(a->kind) && is_round_kind(b->kind))
		return apart(g, b, a);
	return 0;
}

/* The corners of a rectangle, or a polygon's vertices: into v (at most
 * 4 corners are written for a rectangle), their number returned. */
static size_t outline(const shape *s, double *corners, const double **v)
{
	if (s->kind == SHAPE_POLYGON) {
		*v = s->vertices;
		return s->n_vertices;
	}
	const double c[8] = {s->lo[0], s->lo[1], s->hi[0], s->lo[1],
			     s->hi[0], s->hi[1], s->lo[0], s->hi[1]};
	memcpy(corners, c, sizeof c);
	*v = corners;
	return 4;
}

/* 2-D primitive @b (rectangle or polygon) strictly inside polygon @a. */
static int outline_inside_polygon(const pp_geometry *g, const shape *b, const shape *a)
{
	double corners[8];
	const double *v;
	size_t n = outline(b, corners, &v);

	for (size_t k = 0; k < n; k++)
		if (!in_shape(g, a, v + 2 * k, 0))
			return 0;
	for (size_t k = 0; k < n; k++)
		for (size_t j = 0; j < a->n_vertices; j++)
			if (segments_meet(v + 2 * k, v + 2 * ((k + 1) % n), vertex(a, j),
					  vertex(a, j + 1)))
				return 0;
	return 1;
}

/* Primitive @b certainly lies in the interior of primitive @a (conservative). */
static int strictly_inside(const pp_geometry *g, const shape *b, const shape *a)
{
	double far = 0;

	if (is_box_kind(a->kind)) {
		for (int d = 0; d < g->dim; d++)
			if (!(a->lo[d] < b->lo[d] && b->hi[d] < a->hi[d]))
				return 0;
		return 1;
	}
	if (is_round_kind(a->kind)) {
		if (is_round_kind(b->kind))
			return center_distance(g, a, b) + b->radius < a->radius;
		if (is_box_kind(b->kind)) {
			for (int d = 0; d < g->dim; d++) {
				double e = fmax(fabs(b->lo[d] - a->center[d]),
						fabs(b->hi[d] - a->center[d]));
				far += e * e;
			}
			return far < a->radius * a->radius;
		}
		for (size_t k = 0; k < b->n_vertices; k++)
			if (!in_shape(g, a, vertex(b, k), 0))
				return 0;
		return 1;
	}
	if (is_round_kind(b->kind)) {  /* a disk in a polygon */
		if (!in_shape(g, a, b->center, 0))
			return 0;
		for (size_t k = 0; k < a->n_vertices; k++)
			if (segment_distance(vertex(a, k), vertex(a, k + 1), b->center) <= b->radius)
				return 0;
		return 1;
	}
	return outline_inside_polygon(g, b, a);
}

/* The tree is one primitive, a union of primitives apart from each other,
 * or a primitive minus primitives strictly inside it and apart from each
 * other: every piece then lies wholly on the boundary and no two overlap. */
static int measures_are_exact(const pp_geometry *g, const shape *s)
{
	size_t first = s->kind == SHAPE_DIFFERENCE ? 1 : 0;

	if (is_primitive(s->kind))
		return 1;
	if (s->kind == SHAPE_INTERSECTION)
		return 0;
	for (size_t i = 0; i < s->n_children; i++)
		if (!is_primitive(s->children[i]->kind))
			return 0;
	for (size_t i = first; i < s->n_children; i++) {
		if (first && !strictly_inside(g, s->children[i], s->children[0]))
			return 0;
		for (size_t j = first; j < i; j++)
			if (!apart(g, s->children[i], s->children[j]))
				return 0;
	}
	return 1;
}

static void exact_measures(pp_geometry *g)
{
	const shape *s = g->root;

	g->volume = primitive_volume(g, is_primitive(s->kind) ? s : s->children[0]);
	for (size_t i = 1; !is_primitive(s->kind) && i < s->n_children; i++)
		g->volume += (s->kind == SHAPE_UNION ? 1 : -1) * primitive_volume(g, s->children[i]);
	for (int k = 0; k < g->n_pieces; k++)
		g->parts[g->pieces[k].part].measure += g->pieces[k].measure;
}

/* ---- boundary points ---------------------------------------------------- */

/* A uniform point on piece @p into x with the primitive's outward normal in n. */
static void piece_point(const pp_geometry *g, const piece *p, pp_rng *rng, double *x,
			double *n)
{
	const shape *s = p->prim;
	double t, norm;

	switch (p->kind) {
	case PIECE_FACE:
		for (int d = 0; d < g->dim; d++) {
			x[d] = s->lo[d] + (s->hi[d] - s->lo[d]) * pp_rng_uniform(rng);
			n[d] = p->normal[d];
		}
		x[p->axis] = p->side ? s->hi[p->axis] : s->lo[p->axis];
		return;
	case PIECE_EDGE:
		t = pp_rng_uniform(rng);
		for (int d = 0; d < 2; d++) {
			x[d] = p->a[d] + t * (p->b[d] - p->a[d]);
			n[d] = p->normal[d];
		}
		return;
	case PIECE_SPHERE:
		if (g->dim == 2) {
			t = 2 * M_PI * pp_rng_uniform(rng);
			n[0] = cos(t);
			n[1] = sin(t);
		} else {
			/* a normal vector's direction is uniform on the sphere */
			do {
				norm = 0;
				for (int d = 0; d < 3; d++) {
					n[d] = pp_rng_normal(rng);
					norm += n[d] * n[d];
				}
			} while (norm < 1e-300);
			norm = sqrt(norm);
			for (int d = 0; d < 3; d++)
				n[d] /= norm;
		}
		for (int d = 0; d < g->dim; d++)
			x[d] = s->center[d] + s->radius * n[d];
		return;
	}
}

/* @x lies on piece @p (within tol). */
static int on_piece(const pp_geometry *g, const piece *p, const double *x)
{
	const shape *s = p->prim;
	double r2 = 0;

	switch (p->kind) {
	case PIECE_FACE:
		if (fabs(x[p->axis] - (p->side ? s->hi[p->axis] : s->lo[p->axis])) > g->tol)
			return 0;
		for (int d = 0; d < g->dim; d++)
			if (d != p->axis && !(x[d] >= s->lo[d] - g->tol && x[d] <= s->hi[d] + g->tol))
				return 0;
		return 1;
	case PIECE_EDGE:
		return segment_distance(p->a, p->b, x) <= g->tol;
	case PIECE_SPHERE:
		for (int d = 0; d < g->dim; d++)
			r2 += (x[d] - s->center[d]) * (x[d] - s->center[d]);
		return fabs(sqrt(r2) - s->radius) <= g->tol;
	}
	return 0;
}

/* @x, drawn on piece @k with the primitive's normal n, is on the domain
 * boundary and belongs to piece k (no earlier piece holds it): 1, with the
 * domain's outward normal in @out. */
static int keep_boundary_point(const pp_geometry *g, int k, const double *x, const double *n,
			       double *out)
{
	double plus[MAX_DIM], minus[MAX_DIM];
	int in_plus, in_minus;

	for (int d = 0; d < g->dim; d++) {
		plus[d] = x[d] + g->eps * n[d];
		minus[d] = x[d] - g->eps * n[d];
	}
	in_plus = pp_geometry_contains(g, plus);
	in_minus = pp_geometry_contains(g, minus);
	if (in_plus == in_minus)
		return 0;
	for (int j = 0; j < k; j++)
		if (on_piece(g, &g->pieces[j], x))
			return 0;
	for (int d = 0; d < g->dim; d++)
		out[d] = in_minus ? n[d] : -n[d];
	return 1;
}

/* The pieces of the parts marked in @selected, with cumulative measures. */
typedef struct piece_choice {
	int *index;
	double *cumulative;
	int n;
} piece_choice;

static int choose_pieces(const pp_geometry *g, const char *selected, piece_choice *c,
			 pp_error *err)
{
	double total = 0;

	c->n = 0;
	c->index = malloc((size_t)(g->n_pieces + 1) * sizeof *c->index);
	c->cumulative = malloc((size_t)(g->n_pieces + 1) * sizeof *c->cumulative);
	if (!c->index || !c->cumulative) {
		free(c->index);
		free(c->cumulative);
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory sampling the boundary");
	}
	for (int k = 0; k < g->n_pieces; k++) {
		if (!selected[g->pieces[k].part])
			continue;
		total += g->pieces[k].measure;
		c->index[c->n] = k;
		c->cumulative[c->n++] = total;
	}
	return PP_OK;
}

static void choice_free(piece_choice *c)
{
	free(c->index);
	free(c->cumulative);
}

/* One candidate on the chosen pieces: 1 when kept (x, normal, *part set). */
static int draw_boundary(const pp_geometry *g, const piece_choice *c, pp_rng *rng, double *x,
			 double *normal, int *part)
{
	double n[MAX_DIM], u = pp_rng_uniform(rng) * c->cumulative[c->n - 1];
	int lo = 0, hi = c->n - 1;

	while (lo < hi) {  /* the first piece whose cumulative measure exceeds u */
		int mid = (lo + hi) / 2;
		if (c->cumulative[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	piece_point(g, &g->pieces[c->index[lo]], rng, x, n);
	if (!keep_boundary_point(g, c->index[lo], x, n, normal))
		return 0;
	*part = g->pieces[c->index[lo]].part;
	return 1;
}

/* ---- measures ----------------------------------------------------------- */

static double box_volume(const pp_geometry *g)
{
	double v = 1;

	for (int d = 0; d < g->dim; d++)
		v *= g->hi[d] - g->lo[d];
	return v;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* 1-D: the length from the sub-intervals between all endpoints, each wholly
 * in or out; each endpoint counted once if on the boundary. */
static int measures_1d(pp_geometry *g, pp_error *err)
{
	double *ends = malloc((size_t)g->n_pieces * sizeof *ends), out[1];

	if (!ends)
		return nomem(err);
	for (int k = 0; k < g->n_pieces; k++) {
		const piece *p = &g->pieces[k];
		ends[k] = p->side ? p->prim->hi[0] : p->prim->lo[0];
		if (keep_boundary_point(g, k, &ends[k], p->normal, out))
			g->parts[p->part].measure += 1;
	}
	qsort(ends, (size_t)g->n_pieces, sizeof *ends, compare_doubles);
	for (int k = 0; k + 1 < g->n_pieces; k++) {
		double mid = 0.5 * (ends[k] + ends[k + 1]);
		if (ends[k + 1] > ends[k] && pp_geometry_contains(g, &mid))
			g->volume += ends[k + 1] - ends[k];
	}
	free(ends);
	return PP_OK;
}

static double binomial_error(size_t hits, size_t n, double scale)
{
	double p = (double)hits / (double)n;

	return sqrt(p * (1 - p) / (double)n) * scale;
}

static void monte_carlo_volume(pp_geometry *g)
{
	const size_t n = PP_GEOMETRY_MEASURE_POINTS;
	double x[MAX_DIM], scale = box_volume(g);
	size_t hits = 0;
	pp_rng rng;

	pp_rng_init(&rng, MEASURE_SEED, 0);
	for (size_t i = 0; i < n; i++) {
		for (int d = 0; d < g->dim; d++)
			x[d] = g->lo[d] + (g->hi[d] - g->lo[d]) * pp_rng_uniform(&rng);
		hits += (size_t)pp_geometry_contains(g, x);
	}
	g->volume = (double)hits / (double)n * scale;
	g->volume_error = binomial_error(hits, n, scale);
}

static int monte_carlo_part(pp_geometry *g, int k, pp_error *err)
{
	const size_t n = PP_GEOMETRY_MEASURE_POINTS;
	char *selected = calloc((size_t)g->n_parts, 1);
	double x[MAX_DIM], normal[MAX_DIM], total;
	piece_choice c;
	size_t hits = 0;
	int part, rc;
	pp_rng rng;

	if (!selected)
		return nomem(err);
	selected[k] = 1;
	rc = choose_pieces(g, selected, &c, err);
	free(selected);
	if (rc)
		return rc;
	if (c.n == 0) {  /* every side of its primitive was named otherwise */
		choice_free(&c);
		return PP_OK;
	}
	total = c.cumulative[c.n - 1];
	pp_rng_init(&rng, MEASURE_SEED, 1 + (uint64_t)k);
	for (size_t i = 0; i < n; i++)
		hits += (size_t)draw_boundary(g, &c, &rng, x, normal, &part);
	g->parts[k].measure = (double)hits / (double)n * total;
	g->parts[k].error = binomial_error(hits, n, total);
	choice_free(&c);
	return PP_OK;
}

static int compute_measures(pp_geometry *g, pp_error *err)
{
	int rc;

	if (g->dim == 1)
		rc = measures_1d(g, err);
	else if (measures_are_exact(g, g->root)) {
		exact_measures(g);
		rc = PP_OK;
	} else {
		monte_carlo_volume(g);
		rc = PP_OK;
		for (int k = 0; k < g->n_parts && !rc; k++)
			rc = monte_carlo_part(g, k, err);
	}
	if (!rc && !(g->volume > 0))
		rc = pp_config_error(err, PP_ERR_CONFIG, g->root->node,
				     "the domain is empty: none of %u points drawn in its "
				     "bounding box lies inside", PP_GEOMETRY_MEASURE_POINTS);
	return rc;
}

double pp_geometry_measure(const pp_geometry *g, int part)
{
	if (part == -1)
		return g->volume;
	if (part < 0 || part >= g->n_parts)
		return NAN;
	return g->parts[part].measure;
}

double pp_geometry_measure_error(const pp_geometry *g, int part)
{
	if (part == -1)
		return g->volume_error;
	if (part < 0 || part >= g->n_parts)
		return NAN;
	return g->parts[part].error;
}

/* ---- the public handle -------------------------------------------------- */

void pp_geometry_destroy(pp_geometry *g)
{
	if (!g)
		return;
	shape_free(g->root);
	for (int k = 0; k < g->n_parts; k++)
		free(g->parts[k].name);
	free(g->parts);
	free(g->pieces);
	free(g);
}

/* eps and tol from the size and the position of the domain. */
static void set_scale(pp_geometry *g)
{
	double diag = 0, scale;

	memcpy(g->lo, g->root->lo, sizeof g->lo);
	memcpy(g->hi, g->root->hi, sizeof g->hi);
	for (int d = 0; d < g->dim; d++)
		diag += (g->hi[d] - g->lo[d]) * (g->hi[d] - g->lo[d]);
	scale = sqrt(diag);
	for (int d = 0; d < g->dim; d++)
		scale = fmax(scale, fmax(fabs(g->lo[d]), fabs(g->hi[d])));
	g->eps = EPS_REL * scale;
	g->tol = TOL_REL * scale;
}

int pp_geometry_parse(const pp_config *node, int dim, pp_geometry **out, pp_error *err)
{
	pp_geometry *g;
	int rc;

	*out = NULL;
	if (dim < 1 || dim > MAX_DIM)
		return pp_error_set(err, PP_ERR_INVALID,
				    "geometry: %d dimensions; geometries have 1 to %d", dim,
				    MAX_DIM);
	if (!node)
		return pp_error_set(err, PP_ERR_CONFIG, "geometry: missing");
	if (!(g = calloc(1, sizeof *g)))
		return nomem(err);
	g->dim = dim;
	rc = parse_shape(g, node, &g->root, err);
	if (!rc) {
		set_scale(g);
		rc = compute_measures(g, err);
	}
	if (rc) {
		pp_geometry_destroy(g);
		return rc;
	}
	*out = g;
	return PP_OK;
}

int pp_geometry_dim(const pp_geometry *g)
{
	return g->dim;
}

void pp_geometry_bounds(const pp_geometry *g, double *lo, double *hi)
{
	for (int d = 0; d < g->dim; d++) {
		lo[d] = g->lo[d];
		hi[d] = g->hi[d];
	}
}

int pp_geometry_part_count(const pp_geometry *g)
{
	return g->n_parts;
}

const char *pp_geometry_part_name(const pp_geometry *g, int k)
{
	return k >= 0 && k < g->n_parts ? g->parts[k].name : NULL;
}

int pp_geometry_part_index(const pp_geometry *g, const char *name)
{
	for (int k = 0; name && k < g->n_parts; k++)
		if (strcmp(g->parts[k].name, name) == 0)
			return k;
	return -1;
}

/* ---- sampling ----------------------------------------------------------- */

/* The share of the bounding box the domain fills, from its measure. */
static int check_interior_floor(const pp_geometry *g, pp_error *err)
{
	double fraction = g->volume / box_volume(g);

	if (fraction >= FLOOR)
		return PP_OK;
	return pp_error_set(err, PP_ERR_INVALID,
			    "geometry: the domain fills about %.3g %% of its bounding box "
			    "(measure %.6g of %.6g, %s); interior sampling by rejection needs "
			    "at least %g %%", 100 * fraction, g->volume, box_volume(g),
			    g->volume_error > 0 ? "a Monte Carlo estimate" : "exact", 100 * FLOOR);
}

static int too_few_inside(size_t kept, size_t drawn, pp_error *err)
{
	return pp_error_set(err, PP_ERR_INVALID,
			    "geometry: only %zu of %zu points drawn in the bounding box were "
			    "inside (%.3g %%); interior sampling by rejection needs at least "
			    "%g %%", kept, drawn, 100.0 * (double)kept / (double)drawn, 100 * FLOOR);
}

/* The next batch: enough for what is missing at the rate seen so far. */
static size_t next_batch(const pp_geometry *g, size_t n, size_t kept, size_t drawn)
{
	double rate = drawn ? (double)kept / (double)drawn : g->volume / box_volume(g);
	double want = (double)(n - kept) / fmax(rate, FLOOR) * 1.1 + 64;
	size_t m = want < (double)MAX_BATCH ? (size_t)want : MAX_BATCH;

	return m < PP_GEOMETRY_FIRST_BATCH ? PP_GEOMETRY_FIRST_BATCH : m;
}

int pp_geometry_sample_interior(const pp_geometry *g, pp_sampler sampler, size_t n,
				pp_rng *rng, double *x, pp_error *err)
{
	size_t kept = 0, drawn = 0, m, dim = (size_t)g->dim;
	double *u = NULL;
	int rc = check_interior_floor(g, err);

	while (kept < n && !rc) {
		m = next_batch(g, n, kept, drawn);
		free(u);
		if (!(u = malloc(m * dim * sizeof *u)))
			return pp_error_set(err, PP_ERR_NOMEM, "out of memory sampling %zu points", n);
		rc = pp_sample_unit(sampler, m, g->dim, rng, u, err);
		for (size_t i = 0; i < m && kept < n && !rc; i++) {
			double *p = u + i * dim;
			for (size_t d = 0; d < dim; d++)
				p[d] = g->lo[d] + (g->hi[d] - g->lo[d]) * p[d];
			drawn++;
			if (pp_geometry_contains(g, p))
				memcpy(x + kept++ * dim, p, dim * sizeof *p);
		}
		/* the measure passed the floor, so this only stops a runaway loop */
		if (!rc && kept < n && (double)kept < 0.5 * FLOOR * (double)drawn)
			rc = too_few_inside(kept, drawn, err);
	}
	free(u);
	return rc;
}

/* The names of the selected parts, "'a', 'b'", into buf. */
static void selected_names(const pp_geometry *g, const char *selected, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int k = 0; k < g->n_parts && used < size; k++) {
		if (!selected[k])
			continue;
		int w = snprintf(buf + used, size - used, "%s'%s'", used ? ", " : "",
				 g->parts[k].name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* Mark the parts to sample; errors for an index out of range or parts that
 * are nowhere on the boundary. */
static int select_parts(const pp_geometry *g, const int *parts, int n_parts, char *selected,
			pp_error *err)
{
	char names[512];
	double total = 0;

	if (!parts) {
		memset(selected, 1, (size_t)g->n_parts);
	} else {
		if (n_parts < 1)
			return pp_error_set(err, PP_ERR_INVALID, "geometry: no part selected");
		for (int i = 0; i < n_parts; i++) {
			if (parts[i] < 0 || parts[i] >= g->n_parts)
				return pp_error_set(err, PP_ERR_INVALID,
						    "geometry: part index %d out of range "
						    "(%d parts)", parts[i], g->n_parts);
			selected[parts[i]] = 1;
		}
	}
	for (int k = 0; k < g->n_parts; k++)
		if (selected[k])
			total += g->parts[k].measure;
	if (total > 0)
		return PP_OK;
	selected_names(g, selected, names, sizeof names);
	return pp_error_set(err, PP_ERR_INVALID,
			    "geometry: part(s) %s do not lie on the domain boundary", names);
}

/* The share of the selected parts' primitive pieces that is on the domain
 * boundary, from the measures. */
static int check_boundary_floor(const pp_geometry *g, const char *selected,
				const piece_choice *c, pp_error *err)
{
	char names[512];
	double on = 0, fraction;

	for (int k = 0; k < g->n_parts; k++)
		if (selected[k])
			on += g->parts[k].measure;
	fraction = on / c->cumulative[c->n - 1];
	if (fraction >= FLOOR)
		return PP_OK;
	selected_names(g, selected, names, sizeof names);
	return pp_error_set(err, PP_ERR_INVALID,
			    "geometry: only about %.3g %% of the boundary of the primitives of "
			    "part(s) %s lies on the domain boundary; boundary sampling by "
			    "rejection needs at least %g %%", 100 * fraction, names, 100 * FLOOR);
}

static int too_few_on_boundary(size_t kept, size_t drawn, pp_error *err)
{
	return pp_error_set(err, PP_ERR_INVALID,
			    "geometry: only %zu of %zu points drawn on the parts' primitives "
			    "were on the domain boundary; boundary sampling by rejection needs "
			    "at least %g %%", kept, drawn, 100 * FLOOR);
}

int pp_geometry_sample_boundary(const pp_geometry *g, const int *parts, int n_parts,
				size_t n, pp_rng *rng, double *x, double *normal, int *part,
				pp_error *err)
{
	char *selected = calloc((size_t)g->n_parts + 1, 1);
	double p[MAX_DIM], nrm[MAX_DIM];
	size_t kept = 0, drawn = 0, dim = (size_t)g->dim;
	piece_choice c = {0};
	int rc, k;

	if (!selected)
		return pp_error_set(err, PP_ERR_NOMEM, "out of memory sampling the boundary");
	rc = select_parts(g, parts, n_parts, selected, err);
	if (!rc)
		rc = choose_pieces(g, selected, &c, err);
	if (!rc)
		rc = check_boundary_floor(g, selected, &c, err);
	while (!rc && kept < n) {
		drawn++;
		if (draw_boundary(g, &c, rng, p, nrm, &k)) {
			memcpy(x + kept * dim, p, dim * sizeof *p);
			if (normal)
				memcpy(normal + kept * dim, nrm, dim * sizeof *nrm);
			if (part)
				part[kept] = k;
			kept++;
		}
		/* the measures passed the floor, so this only stops a runaway loop */
		if (drawn % PP_GEOMETRY_FIRST_BATCH == 0 && (double)kept < 0.5 * FLOOR * (double)drawn)
			rc = too_few_on_boundary(kept, drawn, err);
	}
	if (c.index)
		choice_free(&c);
	free(selected);
	return rc;
}
