/* phasepinn plugin — self-scaled Broyden (dense, strong-Wolfe line search).
 *
 * The self-scaled Broyden family of dense_quasi_newton.h with τ_k and φ_k
 * chosen per step as in Urbán, Stefanou & Pons (J. Comput. Phys. 2025,
 * arXiv 2405.04230, eqs. 13–23, their "SSBroyden2", the update Kiyani et
 * al. 2025, arXiv 2501.16371, call SSBroyden), after Al-Baali, Spedicato
 * & Maggioni (Optim. Methods Softw. 2014):
 *     b_k = −α·sᵀg / sᵀy,   h_k = yᵀHy / sᵀy,   a_k = b_k·h_k − 1 (≥ 0)
 *     c_k = √(a_k / (1 + a_k))
 *     ρ⁻_k = min(1, h_k·(1 − c_k)),  θ⁻_k = (ρ⁻_k − 1)/a_k,  θ⁺_k = 1/ρ⁻_k
 *     θ_k = max(θ⁻_k, min(θ⁺_k, (1 − b_k)/b_k))
 *     σ_k = 1 + a_k·θ_k,   ρ_k = min(1, 1/b_k)
 *     τ_k = min(ρ_k·σ_k^(1/(1−n)), σ_k)        if θ_k ≤ 0
 *     τ_k = ρ_k·min(σ_k^(1/(1−n)), 1/θ_k)      if θ_k > 0
 *     φ_k = (1 − θ_k)/(1 + a_k·θ_k)
 * θ is the Broyden parameter of the B = H⁻¹ form (0: BFGS, 1: DFP), φ that
 * of the H form used here.  θ ≥ θ⁻ keeps σ ≥ ρ⁻ > 0, so H stays positive
 * definite.  When a_k vanishes (s parallel to Hy, to rounding) v = 0 and
 * φ does not matter: θ = 0 is taken instead of dividing by a_k.
 * The paper's special first step (τ = h/(1 + aθ) when H is the identity)
 * is replaced by Nocedal & Wright's H0 = (sᵀy/yᵀy)·I of all three plugins.
 */
#include "dense_quasi_newton.h"

/* a_k below this is zero to rounding (b·h = 1 up to a few ulps). */
#define SSBROYDEN_A_EPS 1e-14

static void ssbroyden_scaling(const pp_qn_pair *p, int variant, double *tau, double *phi)
{
	double b = p->b, h = p->h, a = b * h - 1.0, rho = fmin(1.0, 1.0 / b);
	double theta = 0, sigma, root = 1.0;

	(void)variant;
	if (a > SSBROYDEN_A_EPS) {
		double c = sqrt(a / (1.0 + a));
		double rho_minus = fmin(1.0, h * (1.0 - c));
		double theta_minus = (rho_minus - 1.0) / a, theta_plus = 1.0 / rho_minus;
		theta = fmax(theta_minus, fmin(theta_plus, (1.0 - b) / b));
	} else {
		a = 0;
	}
	sigma = 1.0 + a * theta;
	if (p->n > 1)
		root = pow(fabs(sigma), 1.0 / (1.0 - (double)p->n));
	if (theta <= 0)
		*tau = fmin(rho * root, sigma);
	else
		*tau = rho * fmin(root, 1.0 / theta);
	*phi = (1.0 - theta) / sigma;
}

static const pp_qn_method ssbroyden_method = {
	.name = "ssbroyden",
	.scaling = ssbroyden_scaling,
};

static int ssbroyden_create(const pp_config *cfg, size_t n, void **state, pp_error *err)
{
	return pp_qn_create(&ssbroyden_method, cfg, n, state, err);
}

static const pp_optimizer_ops ssbroyden_ops = PP_QN_OPS(ssbroyden_create);

PP_PLUGIN_DEFINE(PP_KIND_OPTIMIZER, "ssbroyden",
		 "self-scaled Broyden family (Urban et al. 2025, dense n² memory), strong-Wolfe line search",
		 &ssbroyden_ops)
