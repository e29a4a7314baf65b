#!/usr/bin/python3
"""Golden learning rates for tests/test_schedule.c, made by PyTorch's own schedulers.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/schedules/make_goldens.py
It writes one CSV per case (step,lr with repr(), i.e. 17 significant digits) and cases.tsv
(name, expression, lr, steps, steps per epoch, source). The value at step t is the rate
the (t+1)-th update uses: param_groups[0]['lr'] read before optimizer.step().

source 'torch' means every row came from torch.optim.lr_scheduler; 'torch+closed' means
torch for the rows where its scheduler is defined the same way and the closed form of
LANGUAGE.md section 5 after (cosine stays at eta_min after total, where CosineAnnealingLR
rises again; one_cycle holds its last value after total, where OneCycleLR raises);
'closed' means the schedule has no PyTorch twin (inv_time, poly with end > 0, warmup from
0, `for`), and the closed form is written out below, independently of the C code.
"""
import math
import os

import torch
from torch.optim import lr_scheduler as S

HERE = os.path.dirname(os.path.abspath(__file__))


def torch_rates(lr, steps, make):
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=lr)
    sched = make(opt)
    rates = []
    for _ in range(steps):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return rates


def cosine_closed(lr, total, eta_min, t):
    return eta_min + 0.5 * (lr - eta_min) * (1 + math.cos(math.pi * min(t, total) / total))


CASES = []


def case(name, expr, lr, steps, spe, source, rates):
    assert len(rates) == steps
    CASES.append((name, expr, lr, steps, spe, source))
    with open(os.path.join(HERE, name + ".csv"), "w") as f:
        f.write("step,lr\n")
        for t, r in enumerate(rates):
            f.write("%d,%r\n" % (t, float(r)))


def main():
    case("constant", "constant", 0.1, 20, 0, "closed", [0.1] * 20)
    case("step", "step(every = 7, gamma = 0.5)", 0.1, 40, 0, "torch",
         torch_rates(0.1, 40, lambda o: S.StepLR(o, step_size=7, gamma=0.5)))
    case("step_epochs", "step(2 epochs)", 1.0, 100, 10, "torch",
         torch_rates(1.0, 100, lambda o: S.StepLR(o, step_size=20, gamma=0.1)))
    case("multistep", "multistep(at = [5, 12, 30], gamma = 0.3)", 0.2, 40, 0, "torch",
         torch_rates(0.2, 40, lambda o: S.MultiStepLR(o, milestones=[5, 12, 30], gamma=0.3)))
    case("exponential", "exponential(0.95)", 0.5, 100, 0, "torch",
         torch_rates(0.5, 100, lambda o: S.ExponentialLR(o, gamma=0.95)))
    case("inv_time", "inv_time(k = 0.1, power = 0.75)", 0.3, 50, 0, "closed",
         [0.3 / (1 + 0.1 * t) ** 0.75 for t in range(50)])
    case("poly", "poly(50, power = 2)", 0.1, 60, 0, "torch",
         torch_rates(0.1, 60, lambda o: S.PolynomialLR(o, total_iters=50, power=2.0)))
    case("poly_end", "poly(50, power = 0.5, end = 0.01)", 0.1, 60, 0, "closed",
         [(0.1 - 0.01) * (1 - min(t, 50) / 50) ** 0.5 + 0.01 for t in range(60)])
    case("linear", "linear(30, start_factor = 1, end_factor = 0.1)", 0.1, 40, 0, "torch",
         torch_rates(0.1, 40, lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                                   total_iters=30)))
    cos = torch_rates(0.1, 41, lambda o: S.CosineAnnealingLR(o, T_max=40, eta_min=0.001))
    case("cosine", "cosine(40, eta_min = 0.001)", 0.1, 60, 0, "torch+closed",
         cos + [cosine_closed(0.1, 40, 0.001, t) for t in range(41, 60)])
    case("cosine_restart", "cosine_restart(T0 = 10)", 0.1, 45, 0, "torch",
         torch_rates(0.1, 45, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=10)))
    case("cosine_restart_mult", "cosine_restart(T0 = 5, T_mult = 2, eta_min = 0.01)", 0.1, 80,
         0, "torch",
         torch_rates(0.1, 80, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2,
                                                                      eta_min=0.01)))
    for mode, extra, gamma in (("triangular", "", 1.0), ("triangular2", ", mode = triangular2", 1.0),
                               ("exp_range", ", mode = exp_range, gamma = 0.97", 0.97)):
        case("cyclic_" + mode, "triangular(step_size = 5, min_lr = 0.01%s)" % extra, 0.1, 40, 0,
             "torch", torch_rates(0.1, 40, lambda o: S.CyclicLR(
                 o, base_lr=0.01, max_lr=0.1, step_size_up=5, mode=mode, gamma=gamma,
                 cycle_momentum=False)))
    one = torch_rates(0.1, 100, lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=100,
                                                       cycle_momentum=False))
    case("one_cycle", "one_cycle(100)", 0.1, 110, 0, "torch+closed", one + [one[-1]] * 10)
    case("one_cycle_custom", "one_cycle(total = 64, pct_start = 0.25, div = 10, final_div = 100)",
         0.2, 64, 0, "torch",
         torch_rates(0.2, 64, lambda o: S.OneCycleLR(o, max_lr=0.2, total_steps=64,
                                                     pct_start=0.25, div_factor=10,
                                                     final_div_factor=100,
                                                     cycle_momentum=False)))
    case("warmup", "warmup(10, start_factor = 0.1)", 0.1, 20, 0, "torch",
         torch_rates(0.1, 20, lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1.0,
                                                   total_iters=10)))
    case("warmup_from_zero", "warmup(10)", 0.1, 20, 0, "closed",
         [0.1 * t / 10 if t < 10 else 0.1 for t in range(20)])
    seq = torch_rates(0.1, 26, lambda o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.2, end_factor=1.0, total_iters=5),
            S.CosineAnnealingLR(o, T_max=20)], milestones=[5]))
    case("warmup_then_cosine", "warmup(5, start_factor = 0.2) then cosine(20)", 0.1, 30, 0,
         "torch+closed", seq + [cosine_closed(0.1, 20, 0.0, t - 5) for t in range(26, 30)])
    case("warmup_then_restart_epochs",
         "warmup(2 epochs, start_factor = 0.1) then cosine_restart(T0 = 3 epochs, T_mult = 2)",
         1e-3, 140, 10, "torch",
         torch_rates(1e-3, 140, lambda o: S.SequentialLR(
             o, [S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=20),
                 S.CosineAnnealingWarmRestarts(o, T_0=30, T_mult=2)], milestones=[20])))
    chain = []
    for t in range(30):  # warmup 3, constant 5, then exponential on its own clock
        chain.append(0.1 * t / 3 if t < 3 else 0.1 if t < 8 else 0.1 * 0.9 ** (t - 8))
    case("then_chain", "warmup(3) then constant for 5 then exponential(0.9)", 0.1, 30, 0,
         "closed", chain)
    case("for_cuts", "(cosine(100) for 10) then constant", 0.1, 20, 0, "closed",
         [cosine_closed(0.1, 100, 0.0, t) if t < 10 else 0.1 for t in range(20)])
    with open(os.path.join(HERE, "cases.tsv"), "w") as f:
        f.write("# name\texpression\tlr\tsteps\tsteps_per_epoch\tsource\n")
        for c in CASES:
            f.write("%s\t%s\t%r\t%d\t%d\t%s\n" % c)
    print("torch", torch.__version__, "wrote", len(CASES), "cases")


if __name__ == "__main__":
    main()
