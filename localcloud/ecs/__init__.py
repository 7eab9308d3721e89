"""ECS as the local cloud emulates it beyond moto.

- ``models``: the simulated task (``SimTask``) and the scheduler's bookkeeping;
- ``observations``: what a task runtime reports of a task's containers;
- ``scheduler``: the service scheduler moto lacks (``Scheduler.tick()``);
- ``responses``: where moto's ECS API differs from AWS (CreateService, UpdateService,
  ListTasks, paging, DescribeServices limits).
"""
