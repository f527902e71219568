"""nginx configuration shipped with loadgate (``taskapi.conf.template``: the load balancer).

Package data, so ``loadgate serve --replicas N`` finds it in an installed wheel too
(``loadgate.balancer.template``).
"""
