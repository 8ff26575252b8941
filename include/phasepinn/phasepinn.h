/* phasepinn — everything a plugin author includes. */
#ifndef PHASEPINN_PHASEPINN_H
#define PHASEPINN_PHASEPINN_H

#include <phasepinn/error.h>
#include <phasepinn/real.h>
#include <phasepinn/rng.h>
#include <phasepinn/config.h>
#include <phasepinn/plugin.h>
#include <phasepinn/pde.h>
#include <phasepinn/network.h>
#include <phasepinn/problem.h>
#include <phasepinn/optimizer.h>
#include <phasepinn/weighting.h>
#include <phasepinn/analyzer.h>
#include <phasepinn/sampling.h>
#include <phasepinn/geometry.h>
#include <phasepinn/output.h>
#include <phasepinn/phases.h>

#define PHASEPINN_VERSION_STRING PP_VERSION

#endif
