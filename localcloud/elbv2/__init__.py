"""ELBv2 as the local cloud emulates it beyond moto: the targets ECS registers and their health."""
