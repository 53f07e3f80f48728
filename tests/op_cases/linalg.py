"""numpy.linalg ops (autotrace/ops/linalg_decomp.py): gradient, JVP and vmap cases.

Inputs are well conditioned: `general` adds a multiple of the identity (invertible),
`spd` is symmetric positive definite, `spectrum` builds matrices with well separated
singular values (or eigenvalues, symmetric) so decomposition derivatives are smooth.
Decompositions are checked through quantities that do not depend on the arbitrary signs
of singular vectors / eigenvectors (`v * v`, products `u @ diag(f(s)) @ vh`).
"""

from __future__ import annotations

import numpy as np

from op_cases.common import ANY, Case

# --- inputs ---------------------------------------------------------------------------------


def general(rng, shape):
    """A random matrix (stack) plus 3 * I on the square part: comfortably invertible."""
    x = rng.uniform(-1.0, 1.0, size=shape)
    if len(shape) >= 2:
        k = min(shape[-2:])
        x[..., range(k), range(k)] += 3.0
    return x


def spd(rng, shape):
    """Symmetric positive definite (stacks): x x^T + n I."""
    x = rng.uniform(-1.0, 1.0, size=shape)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def _orthogonal(rng, n, batch):
    q, r = np.linalg.qr(rng.standard_normal(batch + (n, n)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def spectrum(symmetric: bool = False):
    """u diag(s) v^T with singular values 1, 2, 3, ... (eigenvalues, for symmetric: v = u)."""

    def gen(rng, shape):
        batch, (m, n) = tuple(shape[:-2]), shape[-2:]
        k = min(m, n)
        s = np.arange(1.0, k + 1) + rng.uniform(0, 0.2, size=batch + (k,))
        u = _orthogonal(rng, m, batch)[..., :k]
        v = u if symmetric else _orthogonal(rng, n, batch)[..., :k]
        return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)

    return gen


SQUARE = [((3, 3),), ((2, 3, 3),)]
SQUARE_PAIRS = [((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1)), ((2, 3, 3), (3, 2)),
                ((3, 3), (2, 3, 2))]
TALL = [((4, 3),), ((3, 3),), ((2, 4, 2),), ((3, 5),), ((2, 2, 3),)]
ANY_RECT = [((4, 3),), ((3, 4),), ((2, 3, 3),)]


def _eigh_parts(a):
    w, v = np.linalg.eigh(a)
    return w, v * v


def _eigh_upper(a):
    w, v = np.linalg.eigh(a, UPLO="U")
    return w * 2, v * v


def _svd_parts(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return u * u, s, vh * vh


def _svd_product(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return (u * np.sin(s)[..., None, :]) @ vh


def _qr_parts(a):
    q, r = np.linalg.qr(a)
    return q, r


CASES: dict[str, list[Case]] = {
    "solve": [Case(lambda a, b: np.linalg.solve(a, b), SQUARE_PAIRS, (general, ANY)),
              Case(lambda a, b: np.linalg.solve(a, b), [((3, 3), (3,))], (general, ANY))],
    "inv": [Case(np.linalg.inv, SQUARE, general)],
    "det": [Case(np.linalg.det, SQUARE + [((1, 1),)], general)],
    "slogdet": [Case(lambda a: np.linalg.slogdet(a)[1], SQUARE, general),
                Case(lambda a: np.linalg.slogdet(-a)[1] * 2, [((3, 3),)], general)],
    "cholesky": [Case(np.linalg.cholesky, SQUARE, spd),
                 Case(lambda a: np.linalg.cholesky(a, upper=True), [((3, 3),)], spd)],
    "qr": [Case(_qr_parts, TALL, general),
           Case(lambda a: np.linalg.qr(a, mode="complete").R, [((3, 3),), ((2, 4),)],
                general)],
    "qr_r": [Case(lambda a: np.linalg.qr(a, mode="r"), TALL, general)],
    "svd": [Case(_svd_parts, ANY_RECT, spectrum()),
            Case(_svd_product, [((4, 3),)], spectrum()),
            Case(lambda a: np.linalg.svd(a)[1], [((3, 3),)], spectrum())],
    "svdvals": [Case(lambda a: np.linalg.svd(a, compute_uv=False), ANY_RECT, spectrum()),
                Case(lambda a: np.linalg.norm(a, "nuc"), [((3, 4),)], spectrum())],
    "eigh": [Case(_eigh_parts, SQUARE, spectrum(symmetric=True)),
             Case(_eigh_upper, [((3, 3),)], spectrum(symmetric=True))],
    "eigvalsh": [Case(np.linalg.eigvalsh, SQUARE, spectrum(symmetric=True)),
                 Case(lambda a: np.linalg.eigvalsh(a, UPLO="U"), [((3, 3),)],
                      spectrum(symmetric=True))],
    "pinv": [Case(np.linalg.pinv, ANY_RECT, general)],
    "lstsq": [Case(lambda a, b: np.linalg.lstsq(a, b)[0], [((5, 3), (5,)), ((5, 3), (5, 2))],
                   (general, ANY)),
              Case(lambda a, b: np.linalg.lstsq(a, b)[1], [((5, 3), (5, 2))], (general, ANY)),
              Case(lambda a, b: np.linalg.lstsq(a, b)[3], [((5, 3), (5, 2))],
                   (spectrum(), ANY))],
}

NOT_DIFFERENTIABLE = {"eig", "eigvals", "matrix_rank", "linalg_cond"}

BATCH_CASES: dict[str, list[Case]] = {
    "eig": [Case(lambda a: np.linalg.eig(a + 0j).eigenvalues, [((3, 3),)], spectrum(True))],
    "eigvals": [Case(lambda a: np.linalg.eigvals(a + 0j), [((3, 3),)], spectrum(True))],
    "matrix_rank": [Case(np.linalg.matrix_rank, [((3, 3),), ((2, 3, 4),)], general)],
    "linalg_cond": [Case(np.linalg.cond, [((3, 3),)], general),
                    Case(lambda a: np.linalg.cond(a, 1), [((2, 3, 3),)], general)],
}
