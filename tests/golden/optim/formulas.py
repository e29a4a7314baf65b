"""The optimizers of LANGUAGE.md section 4 that torch 1.13 does not have (or has wrong),
written from their formulas as torch.optim.Optimizer classes, in whatever dtype the
parameters have (float64 for the minimize goldens, float32 for the training ones).
Independent of descent's C code: each follows its paper or reference implementation.

  NAdam          PyTorch >= 2.0's NAdam (Dozat 2016). torch 1.13's NAdam multiplies mu_t into
                 the product twice in its second term (mu_product * mu * mu_next), so it is
                 not used as a reference.
  Lion           Chen et al. 2023, as optax's lion: u = sign(b1 m + (1 - b1) g) (sign 0 = 0),
                 m <- b2 m + (1 - b2) g, p <- p - lr u.
  AdamUncorrected  Adam without bias correction: p <- p - lr m / (sqrt(v) + eps), v replaced
                 by its running max under amsgrad.

None of them has weight decay: descent's wd is decoupled, and the scripts apply it before
step() as p.mul_(1 - lr wd).
"""
import torch


class NAdam(torch.optim.Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, momentum_decay=4e-3):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, momentum_decay=momentum_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, (beta1, beta2), eps, psi = (group["lr"], group["betas"], group["eps"],
                                            group["momentum_decay"])
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    state["mu_product"] = torch.ones((), dtype=p.dtype)
                state["step"] += 1
                t, g = state["step"], p.grad
                m, v, product = state["exp_avg"], state["exp_avg_sq"], state["mu_product"]
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
                product *= mu
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                denom = v.div(1 - beta2 ** t).sqrt().add_(eps)
                p.addcdiv_(g, denom, value=-lr * (1.0 - mu) / (1.0 - product.item()))
                p.addcdiv_(m, denom, value=-lr * mu_next / (1.0 - product.item() * mu_next))


class Lion(torch.optim.Optimizer):
    def __init__(self, params, lr, betas=(0.9, 0.99)):
        super().__init__(params, dict(lr=lr, betas=betas))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, (beta1, beta2) = group["lr"], group["betas"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                m, g = state["exp_avg"], p.grad
                u = torch.sign((1 - beta1) * g + beta1 * m)
                m.mul_(beta2).add_(g, alpha=1 - beta2)
                p.add_(u, alpha=-lr)


class AdamUncorrected(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, amsgrad=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, amsgrad=amsgrad))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    state["max_exp_avg_sq"] = torch.zeros_like(p)
                m, v, top, g = (state["exp_avg"], state["exp_avg_sq"], state["max_exp_avg_sq"],
                                p.grad)
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                if group["amsgrad"]:
                    torch.maximum(top, v, out=top)
                    v = top
                p.addcdiv_(m, v.sqrt().add_(eps), value=-lr)
